"""CSRF: form posts need the session's token; JSON API calls need none."""

from __future__ import annotations

from flask.testing import FlaskClient

from shop.db import Database
from shop.orders.forms import quantity_field
from tests.shop.support import count_orders, csrf_token, post_form

FORM = {"email": "ada@example.com", quantity_field("BISCUITS"): "1"}


def test_a_form_without_the_token_is_shown_again_and_places_nothing(
    client: FlaskClient, database: Database
) -> None:
    response = client.post("/orders", data=FORM)

    assert response.status_code == 400
    assert "This form" in response.text and "please check your order" in response.text
    assert 'value="ada@example.com"' in response.text  # the customer's input is kept
    assert count_orders(database) == 0


def test_a_form_with_the_token_places_the_order(client: FlaskClient, database: Database) -> None:
    assert post_form(client, "/orders", FORM).status_code == 303
    assert count_orders(database) == 1


def test_a_token_from_another_session_is_refused(
    client: FlaskClient, database: Database
) -> None:
    token = csrf_token(client.application.test_client())  # another browser's

    assert client.post("/orders", data=FORM | {"csrf_token": token}).status_code == 400
    assert count_orders(database) == 0


def test_a_json_call_needs_no_token(client: FlaskClient, database: Database) -> None:
    response = client.post("/orders", json={
        "email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 1}],
    })

    assert response.status_code == 201
    assert count_orders(database) == 1
