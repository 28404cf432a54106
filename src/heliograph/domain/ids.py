"""Identifier types shared by every layer.

Identifiers are plain strings at run time (``NewType``) so that they cost
nothing in the hot path, and distinct types for mypy so that a message id is
never passed where an account id is expected. How ids are generated is not the
domain's business: services make them (see ``services/ids.py``) and pass them in.
"""

from __future__ import annotations

from typing import NewType

MessageId = NewType("MessageId", str)
AccountId = NewType("AccountId", str)
ConnectorId = NewType("ConnectorId", str)
UpstreamId = NewType("UpstreamId", str)
PartId = NewType("PartId", int)
