"""The local values of the template's secrets.

They come from ``events/secrets.local.json`` beside the template, or from the file named by
``RETENTION_LOCAL_SECRETS``. The file maps a secret's logical id to its value (a JSON object
or a string); keys that start with ``$`` are notes for the reader. A secret the file leaves
out keeps the template's ``SecretString``.
"""

import json
import os
from pathlib import Path
from typing import Any

SECRETS_VARIABLE = "RETENTION_LOCAL_SECRETS"
DEFAULT_FILE = Path("events") / "secrets.local.json"


class SecretsFileError(Exception):
    """The local secrets file is unreadable or names secrets that the template lacks."""


def secrets_file(root: Path, explicit: Path | None = None) -> Path:
    named = explicit or os.environ.get(SECRETS_VARIABLE)
    return Path(named) if named else root / DEFAULT_FILE


def load_secret_values(path: Path, known: set[str]) -> dict[str, Any]:
    """Values by logical id; an absent file means every secret keeps the template's value."""
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SecretsFileError(f"{path}: {error}") from error
    if not isinstance(document, dict):
        raise SecretsFileError(f"{path}: expected a JSON object keyed by secret logical id")

    values = {key: value for key, value in document.items() if not key.startswith("$")}
    unknown = set(values) - known
    if unknown:
        raise SecretsFileError(
            f"{path}: {', '.join(sorted(unknown))} not secrets of the template "
            f"({', '.join(sorted(known))})"
        )
    return values


def as_secret_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
