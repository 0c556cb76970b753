"""The audit trail's parts for an entrypoint: the chain store and the checkpoint key."""

from __future__ import annotations

from rma.adapters.audit_chain import SqlAuditChains
from rma.adapters.audit_keys import CheckpointKeys, load_checkpoint_keys
from rma.bootstrap import Container


def audit_chains(container: Container) -> SqlAuditChains:
    return SqlAuditChains(container.engine)


def audit_keys(container: Container) -> CheckpointKeys:
    settings = container.settings
    return load_checkpoint_keys(settings.audit_signing_key, settings.data_dir)
