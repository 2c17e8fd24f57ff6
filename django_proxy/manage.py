#!/usr/bin/env python
"""Django's command-line utility for the proxy: `python django_proxy/manage.py <command>`."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_proxy.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
