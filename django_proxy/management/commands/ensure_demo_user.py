"""`manage.py ensure_demo_user`: create or update the demo user and print its login.

The password is `DEMO_PASSWORD` if set, else one generated once and kept in
`DEMO_PASSWORD_FILE` (default `var/demo-password`), so restarting `make run` keeps the same
login and the open sessions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


def _stored_password(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _store_password(path: Path, password: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(password + "\n")
    except OSError:
        pass  # a read-only tree: the printed login is what counts


class Command(BaseCommand):
    help = (
        "Create or update the demo user (password DEMO_PASSWORD or generated) and print the login."
    )

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--username", default="demo")

    def handle(self, *args: object, username: str, **options: object) -> None:
        password_file = settings.DEMO_PASSWORD_FILE
        password = os.environ.get("DEMO_PASSWORD", "").strip()
        if not password:
            password = _stored_password(password_file) or secrets.token_urlsafe(12)
            _store_password(password_file, password)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Demo", "last_name": "User"}
        )
        changed = created or not user.is_active or not user.check_password(password)
        if changed:  # an unchanged password keeps the demo user's open sessions valid
            user.is_active = True
            user.set_password(password)
            user.save()
        self.stdout.write(f"Demo login: {username} / {password}")
