"""The JSON API's plumbing: 401 not redirects, JSON errors, CSRF header, OpenAPI."""
from __future__ import annotations

from tests.conftest import Auth


def test_anonymous_gets_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.is_json and response.json["status"] == 401


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_me_returns_the_caller_and_a_csrf_token(client, make_user):
    counselor = make_user("counselor")
    Auth(client).login(counselor)
    body = client.get("/api/v1/me").json
    assert body["username"] == counselor.username and body["role"] == "counselor"
    assert body["csrf_token"]


def test_openapi_document_describes_the_api(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/me" in document["paths"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert ("404" in operation["responses"]) == ("{" in path), (path, method)
