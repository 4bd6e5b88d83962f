"""Production settings: check --deploy is clean, and a missing secret stops the start with a clear message."""

import pytest

from tests.support.processes import PRODUCTION_ENV, clean_environ, manage


def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=clean_environ(**PRODUCTION_ENV))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_plain_http_switch_turns_the_https_protections_off():
    """DJANGO_HTTPS=false (the compose default on localhost) is reported, not silenced."""
    env = clean_environ(**PRODUCTION_ENV, DJANGO_HTTPS="false")
    result = manage("check", "--deploy", env=env)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_missing_required_variable_fails_at_start_naming_it(variable):
    env = clean_environ(**{k: v for k, v in PRODUCTION_ENV.items() if k != variable})
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: Set the {variable} environment variable" in result.stderr


def test_a_env_file_sets_what_the_environment_leaves_unset(tmp_path):
    """README: a .env beside manage.py keeps the users' URL for every later command; the environment still wins."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/users\nAPP1_DATABASE_URL=mysql://root@127.0.0.1:3306/from_file\n"
    )
    show = "from django.db import connections; print(*(connections[a].settings_dict['NAME'] for a in connections))"
    env = clean_environ(DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_ENV_FILE=str(env_file))
    env["APP1_DATABASE_URL"] = "mysql://root@127.0.0.1:3306/from_environment"
    result = manage("shell", "--no-startup", "-c", show, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["users", "from_environment", "books"]
