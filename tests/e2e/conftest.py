import pytest

from tests.factories import TEST_PASSWORD, UserFactory

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def rep_user(transactional_db):
    return UserFactory(username="e2e.rep", first_name="Li", last_name="Na")


def login(page, live_server, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
