"""Migration files may include a shared file: the audit trail's table is written once."""

from __future__ import annotations

from pathlib import Path

from infra.migrate import SERVICES, pending_files, sql_text


def test_every_service_s_audit_migration_is_the_shared_table() -> None:
    audits = {svc: path for svc, path in pending_files() if path.name == "002_audit.sql"}
    assert set(audits) == set(SERVICES)
    texts = {svc: sql_text(path) for svc, path in audits.items()}
    for svc, text in texts.items():
        assert "-- include:" not in text, svc
        assert "CREATE TABLE audit_trail" in text and "audit_trail_by_actor" in text, svc
    assert len({t.split("\n", 2)[2] for t in texts.values()}) == 1  # the same past line 2


def test_a_file_without_includes_is_read_as_it_is(tmp_path: Path) -> None:
    plain = tmp_path / "001_x.sql"
    plain.write_text("CREATE TABLE x (a int);\n-- include:not-a-directive\n")
    assert sql_text(plain) == plain.read_text()
