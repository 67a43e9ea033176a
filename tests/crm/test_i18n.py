import pytest

pytestmark = pytest.mark.django_db


def test_chinese_is_the_default_language(org, page_for):
    response = page_for(org.rep_a).get("/")
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    assert "退出" in response.content.decode()


def test_english_through_accept_language(org, page_for):
    response = page_for(org.rep_a).get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log out" in response.content.decode()


def test_language_switcher_sets_english_and_back(org, page_for):
    client = page_for(org.rep_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "退出" in client.get("/").content.decode()


def test_login_page_is_translated(client):
    assert "登录" in client.get("/accounts/login/").content.decode()
