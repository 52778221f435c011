"""What a browser or an API client reads: the pages, error answers, CSRF, template filters."""
