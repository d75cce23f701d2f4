"""aforro through a Python client generated from its OpenAPI document (scripts/check-openapi).

openapi-python-client turns the document into a typed package (`aforro_client`: one module per
operation, attrs classes per schema); this uses that package, and nothing else, against a real
seeded server: it lists a store's inventory, places an order, searches for the ordered product
and restocks it with a staff token, and checks every answer is the documented status parsed
into the documented model, with no property the document does not declare.

Operations are found by method and path in the document (their operationId and tag name the
generated module), and models by the `$ref` of their schema, so renaming an operation or a
schema on the server side does not break this test; changing the API's shape does.

Environment: AFORRO_URL (the server), AFORRO_TOKEN (a staff token named AFORRO_TOKEN_NAME),
AFORRO_OPENAPI (the document the client was generated from); the generated package on
PYTHONPATH.
"""

import importlib
import json
import os
import re
import sys
import uuid

import attrs

CLIENT_PACKAGE = "aforro_client"

client_pkg = importlib.import_module(CLIENT_PACKAGE)
models = importlib.import_module(f"{CLIENT_PACKAGE}.models")
with open(os.environ["AFORRO_OPENAPI"], encoding="utf-8") as f:
    DOC = json.load(f)

BASE_URL = os.environ["AFORRO_URL"]
TOKEN = os.environ["AFORRO_TOKEN"]
TOKEN_NAME = os.environ.get("AFORRO_TOKEN_NAME", "")
# Undocumented statuses raise (errors.UnexpectedStatus) instead of parsing to None.
staff = client_pkg.AuthenticatedClient(base_url=BASE_URL, token=TOKEN, raise_on_unexpected_status=True)
anonymous = client_pkg.Client(base_url=BASE_URL, raise_on_unexpected_status=True)


def snake(name):
    """The generator's module names: snake_case of the operationId / tag."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


def pascal(name):
    """The generator's class names: PascalCase of the schema name."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def model(schema):
    """The generated class of a `{"$ref": "#/components/schemas/X"}` schema."""
    ref = schema.get("$ref")
    assert ref, f"expected a named schema ($ref), got an inline one: {json.dumps(schema)[:200]}"
    name = pascal(ref.rsplit("/", 1)[-1])
    assert hasattr(models, name), f"the generated client has no model {name} (for {ref})"
    return getattr(models, name)


def json_schema(holder):
    """The schema of a request body's or response's JSON content (application/json or a
    `+json` type such as application/problem+json)."""
    content = holder.get("content", {})
    types = [t for t in content if t == "application/json" or t.endswith("+json")]
    assert types, f"no JSON content: {sorted(content)}"
    return content[types[0]]["schema"]


def operation(method, path):
    """The document's operation and the generated module that calls it."""
    op = DOC["paths"][path][method]
    tag = (op.get("tags") or ["default"])[0]
    module = f"{CLIENT_PACKAGE}.api.{snake(tag)}.{snake(op['operationId'])}"
    try:
        return op, importlib.import_module(module)
    except ImportError as e:
        raise AssertionError(f"{method.upper()} {path}: no generated module {module} ({e})") from e


def undeclared(value, where="body"):
    """Properties of the answer that the document does not declare (the generated models keep
    them in `additional_properties`)."""
    found = []
    if attrs.has(type(value)):
        extra = getattr(value, "additional_properties", {})
        found += [f"{where}.{key}" for key in extra]
        for field in attrs.fields(type(value)):
            if field.name != "additional_properties":
                found += undeclared(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += undeclared(item, f"{where}[{i}]")
    return found


def call(method, path, status, *, client=staff, body=None, **kwargs):
    """Calls an operation through the generated client; checks the status, the parsed model
    and that the answer has nothing undeclared. Returns the parsed answer."""
    op, module = operation(method, path)
    if body is not None:
        kwargs["body"] = model(json_schema(op["requestBody"])).from_dict(body)
    response = module.sync_detailed(client=client, **kwargs)
    label = f"{method.upper()} {path}"
    assert response.status_code == status, (
        f"{label}: status {int(response.status_code)}, expected {status}: {response.content[:500]!r}"
    )
    expected = model(json_schema(op["responses"][str(status)]))
    assert isinstance(response.parsed, expected), (
        f"{label}: parsed as {type(response.parsed).__name__}, expected {expected.__name__}"
    )
    extra = undeclared(response.parsed)
    assert not extra, f"{label}: properties the document does not declare: {extra}"
    print(f"ok  {label} -> {status} {expected.__name__}")
    return response.parsed, response


def text(value):
    """An enum member's value, or the string itself."""
    return getattr(value, "value", value)


def main():
    # A store and a product it has at least 2 of.
    stores, _ = call("get", "/stores/", 200, page_size=100)
    assert stores.count >= 1 and stores.results, "the seeded database has no store"
    store_id = stores.results[0].id
    inventory, _ = call("get", "/stores/{store_id}/inventory/", 200, store_id=store_id, page_size=100)
    stocked = [item for item in inventory.results if item.quantity >= 2]
    assert stocked, f"store {store_id} has no product with 2 units in its first inventory page"
    item = stocked[0]
    product_id, before = item.product_id, item.quantity

    # An order of 1 unit: confirmed, deducted.
    order, response = call(
        "post", "/orders/", 201,
        body={"store_id": store_id, "items": [{"product_id": product_id, "quantity_requested": 1}]},
        idempotency_key=str(uuid.uuid4()),
    )
    assert order.store_id == store_id, order
    assert text(order.status) == "CONFIRMED", f"order {order.id} is {text(order.status)}"
    assert len(order.items) == 1, order.items
    assert order.items[0].product_id == product_id and order.items[0].quantity_requested == 1, order.items
    assert order.total_items == 1 and order.total_quantity == 1, order
    assert response.headers.get("location", "").endswith(f"/orders/{order.id}/"), response.headers
    again, _ = call("get", "/orders/{order_id}/", 200, order_id=order.id)
    assert again.id == order.id and text(again.status) == "CONFIRMED", again

    # A search that finds the product: `count` and `results` agree.
    title = item.product_title
    page, _ = call("get", "/api/search/products/", 200, q=title, page_size=100)
    assert page.count >= len(page.results) >= 1, f"search {title!r}: count {page.count}, {len(page.results)} results"
    assert page.page == 1 and page.page_size == 100, page
    assert any(p.id == product_id for p in page.results), (
        f"search {title!r}: product {product_id} not among {[p.id for p in page.results]}"
    )
    found = next(p for p in page.results if p.id == product_id)
    assert found.title == title, found

    # A restock of 5 units with the staff token: from what the order left to 5 more.
    adjustment, _ = call(
        "post", "/stores/{store_id}/inventory/{product_id}/adjustments/", 201,
        store_id=store_id, product_id=product_id, body={"delta": 5, "reason": "restock"},
    )
    assert adjustment.store_id == store_id and adjustment.product_id == product_id, adjustment
    assert adjustment.delta == 5 and text(adjustment.reason) == "restock", adjustment
    assert adjustment.quantity_before == before - 1, f"{adjustment.quantity_before} before, expected {before - 1}"
    assert adjustment.quantity_after == before + 4, f"{adjustment.quantity_after} after, expected {before + 4}"
    if TOKEN_NAME:
        assert adjustment.actor == TOKEN_NAME, adjustment.actor

    # The order taken back: CANCELLED, its unit returned; the ledger lists the cancellation
    # at the newest position, ending at the row's quantity (the order, the restock, the cancel).
    cancelled, _ = call(
        "post", "/orders/{order_id}/cancel/", 200,
        order_id=order.id, body={"note": "generated client"},
    )
    assert text(cancelled.status) == "CANCELLED" and cancelled.id == order.id, cancelled
    assert cancelled.cancellation_note == "generated client", cancelled
    if TOKEN_NAME:
        assert cancelled.cancelled_by == TOKEN_NAME, cancelled.cancelled_by
    ledger, _ = call(
        "get", "/stores/{store_id}/inventory/{product_id}/movements/", 200,
        store_id=store_id, product_id=product_id, page_size=3,
    )
    newest = ledger.results[0]
    assert text(newest.kind) == "cancellation" and newest.order_id == order.id, newest
    assert newest.position == ledger.count and newest.quantity_after == before + 5, newest
    assert [text(m.kind) for m in ledger.results] == ["cancellation", "adjustment", "order"], ledger.results

    # Without the token: the documented 401, parsed as the error model.
    op, module = operation("post", "/stores/{store_id}/inventory/{product_id}/adjustments/")
    body = model(json_schema(op["requestBody"])).from_dict({"delta": 5, "reason": "restock"})
    refused = module.sync_detailed(client=anonymous, store_id=store_id, product_id=product_id, body=body)
    assert refused.status_code == 401, (int(refused.status_code), refused.content[:300])
    assert isinstance(refused.parsed, model(json_schema(op["responses"]["401"]))), type(refused.parsed)
    print("ok  POST adjustments without a token -> 401")
    print("generated client: every call answered as documented")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"generated client: FAIL: {e}", file=sys.stderr)
        sys.exit(1)
