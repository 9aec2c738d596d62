"""The `cx-pipeline` command: generate sample extracts, run the main job, render the docs."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

from cx_pipeline import settings

# Jobs run from the shell log warnings only; their own output says what they did.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _generate(args: argparse.Namespace) -> int:
    from cx_pipeline.generate import generate

    truth = generate(
        Path(args.out),
        scale=args.scale,
        seed=args.seed,
        as_of=dt.date.fromisoformat(args.as_of),
        deliveries=args.deliveries,
        currencies=args.currencies,
        followups=args.followups,
    )
    print(f"wrote {args.scale} extracts to {args.out} (truth in {Path(args.out) / '_truth.json'})")
    if args.currencies:
        print(f"exchange rates in {Path(args.out) / truth['currencies']['rates_file']}")
    return 0 if truth else 1


def _fail(*lines: str) -> int:
    for line in lines:
        print(f"cx-pipeline: {line}", file=sys.stderr)
    return 2


def _preflight(args: argparse.Namespace) -> tuple[list[str], tuple[dt.date, dt.date] | None]:
    """Everything that can be known wrong before a run writes anything: settings, the extract
    root and the days asked for. Returns the problems, or the days to load."""
    from cx_pipeline.partitions import day_files, day_folders, days_before_start, delivered_days

    found = settings.problems()
    if found:
        return found, None
    from cx_pipeline.executors import refusal, single_writer

    refused = refusal(settings.EXECUTOR.value(), single_writer())
    if refused:
        return [refused], None
    root = Path(settings.EXTRACT_ROOT.value())
    for setting in (settings.EXTRACT_ROOT, settings.REFERENCE_ROOT):
        folder = Path(setting.value())
        if not folder.is_dir():
            return [f"{setting.env}={setting.value()!r}: no such folder ({folder.resolve()})"], None
    if not (root / "crm").is_dir():
        return [
            f"no CRM deliveries: expected {(root / 'crm').resolve()}/<YYYY-MM-DD>/ "
            "(the CRM is the one source every run needs; docs/extracts.md)"
        ], None
    days = delivered_days(root)
    if not days:
        return [f"no delivery folders under {root.resolve()} (<source>/<YYYY-MM-DD>/)"], None
    # A folder dated after tomorrow is a typo (2062 for 2026), not a delivery: it would become
    # the as-of date of every mart.
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    future = [(day, folder) for day, folder in day_folders(root) if day > tomorrow]
    if future:
        return [
            f"{folder}: a delivery folder dated after {tomorrow}; rename it to the day it was "
            "delivered"
            for _, folder in future
        ], None
    early = days_before_start(root)
    if early:
        return [
            f"CX_PARTITIONS_START={settings.PARTITIONS_START.value()!r}: {len(early)} delivery "
            f"day(s) before it, the first {early[0]}; set it to {early[0]} or earlier, or 'auto'"
        ], None
    try:
        first = dt.date.fromisoformat(args.first) if args.first else days[0]
        last = dt.date.fromisoformat(args.last) if args.last else days[-1]
    except ValueError:
        return ["--from/--to: expected a date as YYYY-MM-DD"], None
    if first > last:
        return [f"--from {first} is after --to {last}"], None
    files = [f for day in days if first <= day <= last for f in day_files(root, day)]
    unsettled = _settle(
        files,
        float(settings.RUN_SETTLE_SECONDS.value()),
        float(settings.RUN_SETTLE_WAIT_SECONDS.value()),
    )
    if unsettled:
        return [
            f"{path}: still changing after {settings.RUN_SETTLE_WAIT_SECONDS.value()} s "
            f"({settings.RUN_SETTLE_WAIT_SECONDS.env}); run again once its copy is complete"
            for path in unsettled
        ], None
    return [], (first, last)


def _settle(files: list[Path], quiet: float, limit: float) -> list[Path]:
    """Wait until every file has been unchanged for `quiet` seconds, by its age or, for a file
    modified recently or dated in the future, by watching it; a file still being copied would
    load half a row. Returns the files still changing after `limit` seconds."""
    if quiet <= 0:
        return []
    started = time.monotonic()
    seen: dict[Path, tuple[tuple[int, float], float]] = {}
    told: set[Path] = set()
    while True:
        now_wall, now = time.time(), time.monotonic()
        young = []
        for path in files:
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # gone: the loader says what is missing
            stamp = (info.st_size, info.st_mtime)
            if 0 <= now_wall - info.st_mtime >= quiet:
                continue
            if path not in seen or seen[path][0] != stamp:
                seen[path] = (stamp, now)
            if now - seen[path][1] < quiet:
                young.append(path)
        if not young:
            return []
        if now - started >= limit:
            return young
        new = [p for p in young if p not in told]
        if new:
            told.update(new)
            print(
                f"waiting until these files have not changed for {quiet:g} s "
                f"({settings.RUN_SETTLE_SECONDS.env}; a copy in progress?): "
                + ", ".join(str(p) for p in new),
                flush=True,
            )
        time.sleep(min(0.5, max(0.0, limit - (now - started))))


def _default_dagster_home() -> None:
    """Runs are recorded where `make` puts them when DAGSTER_HOME is not set: a folder beside
    the working directory, so `cx-pipeline` works outside make too."""
    if not os.environ.get("DAGSTER_HOME"):
        home = Path(".dagster_home").resolve()
        home.mkdir(exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME not set: recording runs in {home}")


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    problems, days = _preflight(args)
    if days is None:
        return _fail(*problems, "nothing was run")
    first, last = days
    selected = None
    if args.select:
        selected, problem = _selected(args.select)
        if problem:
            return _fail(problem, "nothing was run")
    # Workers record their steps in the persistent instance whatever --persist says.
    persistent = args.persist or settings.EXECUTOR.value() != "in_process"
    instance = _instance(persistent)

    import dagster as dg

    from cx_pipeline.definitions import defs
    from cx_pipeline.partitions import range_tags
    from cx_pipeline.recovery import launch_tags, watched
    from cx_pipeline.resources import warehouse_from_settings
    from cx_pipeline.run_summary import summarize

    root = Path(settings.EXTRACT_ROOT.value())
    print(f"loading deliveries {first} to {last} from {root.resolve()}")
    if selected is not None:
        print(f"building {len(selected)} of cx_daily's assets (--select {args.select})")
    # Progress (files loaded, rows, checks, marts built) is logged at INFO; DEBUG is Dagster's
    # plumbing.
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    tags = {**range_tags(first, last), **launch_tags()}
    try:
        with watched() if persistent else contextlib.nullcontext():
            if settings.EXECUTOR.value() == "in_process":
                result = defs.resolve_job_def("cx_daily").execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    tags=tags,
                    run_config=run_config,
                    asset_selection=selected,
                )
                outcome = summarize(result.all_events)
            else:
                outcome = summarize(_execute_on_workers(dg, tags, run_config, selected))
    except KeyboardInterrupt:
        print("\ncx_daily interrupted before its steps ran", file=sys.stderr)
        return 130
    lines = outcome.lines()
    if lines:
        print("\nsummary:", file=sys.stderr)
        for line in lines:
            print(f"  {line}", file=sys.stderr)
    if not outcome.ok:
        print(
            f"\ncx_daily FAILED after {time.monotonic() - started:.0f} s: "
            f"{len(outcome.failed_steps)} step(s) and {len(outcome.failed_checks)} ERROR "
            "check(s) failed",
            file=sys.stderr,
        )
        return 1
    warehouse = warehouse_from_settings()
    print(
        f"\ncx_daily succeeded in {time.monotonic() - started:.0f} s; "
        f"warehouse: {warehouse.location}"
    )
    print(f"BI tools: open {Path(settings.SERVING_PATH.value()).resolve()} read-only")
    with warehouse.get_connection(read_only=True) as con:
        marts = [
            table
            for (table,) in con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                "WHERE schema_name = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        for table in marts:
            rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"  {table:<34} {rows:>8} rows")
        nps = dg.AssetKey(["marts", "nps_by_month"])
        if "marts.nps_by_month" not in marts or (selected is not None and nps not in selected):
            return 0  # not built by this run (a --select without it)
        print("\nNPS, last 6 months:")
        print(
            con.sql(
                "SELECT month, responses, round(nps, 1) AS nps, round(nps_moe_95, 1) AS moe_95, "
                "nps_change_significant AS significant_change "
                "FROM marts.nps_by_month ORDER BY month DESC LIMIT 6"
            )
        )
    return 0


def _selected(text: str) -> tuple[list | None, str | None]:
    """The asset keys of cx_daily a selection names, in the syntax of the UI's asset search
    (`+key:"marts/nps_by_month"`, `group:marts_nps+`), or the problem with it."""
    import dagster as dg

    from cx_pipeline.definitions import defs

    try:
        keys = dg.AssetSelection.from_coercible(text).resolve(defs.resolve_asset_graph())
    except dg.DagsterError as e:
        return None, f"--select {text!r}: {str(e).splitlines()[0]}"
    if not keys:
        return None, (
            f"--select {text!r} names no asset; keys look like raw/accounts, staging/tickets, "
            'marts/nps_by_month (`key:"marts/nps_by_month"`, `+` for upstream, '
            "`group:marts_nps`)"
        )
    return sorted(keys), None


def cx_daily_job() -> Any:
    """cx_daily, importable by name, so that `dagster.reconstructable` can rebuild it in the
    worker processes the multiprocess, Celery and Dask executors start."""
    from cx_pipeline.definitions import defs

    return defs.resolve_job_def("cx_daily")


def _execute_on_workers(dg: Any, tags: dict, run_config: dict, selected: list | None) -> list:
    """cx_daily with the executor CX_EXECUTOR names: its steps run in other processes, which
    rebuild the job by name and record their events in the persistent instance ($DAGSTER_HOME)."""
    from cx_pipeline.resources import warehouse_from_settings
    from cx_pipeline.staging.incremental import prepare

    # The catalog, its schemas and the shared audit tables exist before steps start in parallel.
    with warehouse_from_settings().get_connection() as con:
        prepare(con)
    with (
        dg.DagsterInstance.get() as instance,
        dg.execute_job(
            dg.reconstructable(cx_daily_job),
            instance=instance,
            tags=tags,
            run_config=run_config,
            raise_on_error=False,
            asset_selection=selected,
        ) as result,
    ):
        return list(result.all_events)


def _instance(persist: bool) -> Any:
    """The Dagster instance a maintenance command records its runs in; a persistent one first
    recovers runs a killed process left holding the warehouse pool (recovery.py), since the
    rebuild after an erasure or a purge takes a slot of the same pool."""
    import dagster as dg

    if not persist:
        return dg.DagsterInstance.ephemeral()
    from cx_pipeline.recovery import recover

    _default_dagster_home()
    instance = dg.DagsterInstance.get()
    for line in recover(instance):
        print(line)
    return instance


def _erase(args: argparse.Namespace) -> int:

    from cx_pipeline.definitions import defs

    instance = _instance(args.persist)
    request = {"contact_id": args.contact or "", "email": args.email or "", "reason": args.reason}
    erased = defs.resolve_job_def("erase_person").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={**QUIET, "ops": {"erase_person_op": {"config": request}}},
    )
    if not erased.success:
        print("erasure failed; nothing was changed", file=sys.stderr)
        return 1
    done = erased.output_for_node("erase_person_op")
    print(
        f"erasure {done['erasure_id']}: {done['identifiers']} identifier(s) hashed into "
        "audit.erasures; rows:"
    )
    for table, counts in done["rows"].items():
        print(
            f"  raw.{table:<16} {counts['rows_deleted']:>6} deleted "
            f"{counts['rows_unlinked']:>6} unlinked"
        )
    return _rebuild_and_compact(defs, instance, not args.no_compact)


def _purge(args: argparse.Namespace) -> int:

    from cx_pipeline.definitions import defs

    instance = _instance(args.persist)
    purged = defs.resolve_job_def("purge_expired").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={**QUIET, "ops": {"purge_expired_op": {"config": {"today": args.today or ""}}}},
    )
    if not purged.success:
        print("purge failed; nothing was changed", file=sys.stderr)
        return 1
    done = purged.output_for_node("purge_expired_op")
    if done["keep_from"] is None:
        print("CX_RETENTION_DAYS is 0: nothing expires")
        return 0
    print(
        f"kept deliveries from {done['keep_from']}: {sum(done['rows'].values()):,} raw and "
        f"quarantine rows and {done['folders']} extract folders purged"
    )
    return _rebuild_and_compact(defs, instance, not args.no_compact)


def _rebuild_and_compact(defs: Any, instance: Any, compact_file: bool) -> int:
    """After an erasure or a purge: everything derived from raw is rebuilt, and the warehouse
    rewritten so that no removed value lingers in its free blocks or old DuckLake files."""
    from cx_pipeline.resources import warehouse_from_settings

    rebuilt = defs.resolve_job_def("cx_rebuild").execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET
    )
    if not rebuilt.success:
        print("rebuild failed: run `cx-pipeline run` to finish", file=sys.stderr)
        return 1
    print("staging, marts, serving file and report rebuilt")
    if compact_file:
        warehouse = warehouse_from_settings()
        before, after = warehouse.compact()
        if warehouse.lake is not None:
            print("DuckLake compacted: old snapshots expired, their files deleted")
        if before:
            print(f"warehouse rewritten without free blocks ({before:,} -> {after:,} bytes)")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from cx_pipeline.docs import render_extracts_page

    page = render_extracts_page()
    path = Path(args.path)
    if args.check:
        if not path.is_file() or path.read_text() != page:
            print(f"{path} is out of date: run `cx-pipeline docs`", file=sys.stderr)
            return 1
        print(f"{path} matches the contract")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    print(f"wrote {path}")
    return 0


def _dev(args: argparse.Namespace) -> int:
    """`dagster dev`, in this process, stoppable by SIGTERM and SIGINT. Started in the background
    by a non-interactive shell (`make dev &` in a script), it inherits SIGINT ignored, and dagster
    dev maps SIGTERM onto SIGINT's handler, so it would ignore both: restore the default first.
    An ignored signal stays ignored across exec; a default one lets Python raise
    KeyboardInterrupt, which dagster dev turns into stopping its webserver and daemon."""
    import signal

    _default_dagster_home()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    beside = Path(sys.executable).with_name("dagster")
    dagster = str(beside) if beside.is_file() else "dagster"
    sys.stdout.flush()
    os.execvp(dagster, [dagster, "dev", "-h", args.host, "-p", str(args.port)])
    return 1  # not reached: exec replaces this process


def _settings(args: argparse.Namespace) -> int:
    if args.check:
        found = settings.problems()
        if found:
            return _fail(*found)
        print(f"all {len(settings.ALL_SETTINGS)} settings are valid")
        return 0
    for s in settings.ALL_SETTINGS:
        print(f"{s.env:<30} = {s.value()!r:<28} {s.description}")
    return 0


def _quarantine(args: argparse.Namespace) -> int:
    from cx_pipeline.contract import ENTITIES
    from cx_pipeline.quality.quarantine import quarantine_status
    from cx_pipeline.resources import warehouse_from_settings

    entities = tuple(e for e in ENTITIES if args.entity in (None, e.name, e.qualified_name))
    if not entities:
        return _fail(f"no entity {args.entity!r}: one of {', '.join(e.name for e in ENTITIES)}")
    warehouse = warehouse_from_settings()
    if warehouse.lake is None and not Path(warehouse.database).is_file():
        return _fail(f"no warehouse at {warehouse.location}: run `cx-pipeline run` first")
    with warehouse.get_connection(read_only=True) as con:
        found = quarantine_status(con, entities, args.limit)
    print(f"quarantine in {warehouse.location}")
    print(
        f"{'source':<28} {'quarantined':>11} {'corrected':>9} {'superseded':>10} "
        f"{'filtered':>8} {'outstanding':>11}"
    )
    for q in found:
        c = q.counts
        print(
            f"{q.entity.qualified_name:<28} {q.quarantined:>11} {c['corrected']:>9} "
            f"{c['superseded']:>10} {c['filtered']:>8} {c['outstanding']:>11}"
        )
    for q in found:
        if not q.counts["outstanding"]:
            continue
        print(f"\n{q.entity.qualified_name}: {q.counts['outstanding']} outstanding, because")
        for rule, rows in q.outstanding_by_rule.items():
            print(f"  {rows:>6}  {rule}")
        print(f"  oldest first (up to {args.limit}):")
        for row in q.oldest_outstanding:
            print(
                f"    {row.delivery_date}  {row.source_file}:{row.row_number}  "
                f"{q.entity.key}={row.key or '(missing)'}  {'; '.join(row.broken_rules)}"
            )
    return 0


def _alerts(args: argparse.Namespace) -> int:
    """Check the alerts file; list what the warehouse would alert on now, or send a test."""
    from cx_pipeline.alerts import channels, config, rules
    from cx_pipeline.alerts.message import Alert
    from cx_pipeline.resources import FILE_LOCKED, warehouse_from_settings

    path = settings.ALERTS_CONFIG.value()
    if not path:
        return _fail("CX_ALERTS_CONFIG is not set: alerts are off (docs/alerts.md)")
    try:
        alerts_config = config.load(path)
    except config.AlertsConfigError as e:
        return _fail(str(e))
    print(f"{path}: channels {', '.join(alerts_config.channels)}")
    now = dt.datetime.now(dt.UTC)
    if args.send_test:
        test = Alert(
            kind="test",
            subject=now.isoformat(),
            what="test alert: this channel reaches you",
            where=f"cx-pipeline alerts --send-test, {path}",
            todo="nothing; real alerts look like this one",
        )
        try:
            errors = channels.send(alerts_config, test, now)
        except channels.DeliveryError as e:
            return _fail(str(e))
        for error in errors:
            print(f"failed {error}", file=sys.stderr)
        print(f"test alert sent on {len(alerts_config.channels) - len(errors)} channel(s)")
        return 1 if errors else 0
    warehouse = warehouse_from_settings()
    try:
        with warehouse.get_connection(read_only=True, wait=False) as con:
            found = rules.warehouse_alerts(con, alerts_config.rules)
    except Exception as e:  # a missing or locked warehouse: say which
        if FILE_LOCKED in str(e):
            return _fail(f"the warehouse ({warehouse.location}) is in use; try again")
        return _fail(f"cannot read the warehouse ({warehouse.location}): {e}")
    for alert in found:
        print(alert.text() + "\n")
    print(f"{len(found)} alert(s) true now (nothing sent; the sensors send them)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cx-pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write realistic extracts with planted truths")
    gen.add_argument(
        "--scale", choices=["small", "recovery", "medium", "large", "large2x"], default="small"
    )
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--out", required=True, help="folder to write <source>/<day>/ into")
    gen.add_argument("--as-of", default="2026-10-31", help="last delivery day (YYYY-MM-DD)")
    gen.add_argument("--deliveries", type=int, default=3, help="number of daily deliveries")
    gen.add_argument(
        "--currencies",
        action="store_true",
        help="bill accounts in their country's currency (EUR, GBP, CAD, AUD, else USD) and "
        "write the rates to USD to <out>/_reference/exchange_rates.csv",
    )
    gen.add_argument(
        "--followups",
        action="store_true",
        help="also write closed-loop follow-ups of detractor answers (surveys/followups.csv), "
        "with the planted reach and recovery in the truth file",
    )
    gen.set_defaults(func=_generate)

    run = commands.add_parser(
        "run", help="run cx_daily in this process over the delivered days (a one-run backfill)"
    )
    run.add_argument(
        "--persist",
        action="store_true",
        help="record the run in $DAGSTER_HOME so the UI shows it (always, when CX_EXECUTOR "
        "is not in_process: the workers record their steps there)",
    )
    run.add_argument("--from", dest="first", help="first delivery day to load (default: oldest)")
    run.add_argument("--to", dest="last", help="last delivery day to load (default: newest)")
    run.add_argument(
        "--select",
        help="build only these assets, in the syntax of the UI's asset search, e.g. "
        "'+key:\"marts/nps_by_month\"' (it and everything upstream) or 'group:marts_nps' "
        "(default: every asset)",
    )
    run.set_defaults(func=_run)

    erase = commands.add_parser(
        "erase", help="erase a person (contact id or e-mail) from every table and file"
    )
    erase.add_argument("--contact", help="CRM contact id")
    erase.add_argument("--email", help="e-mail address")
    erase.add_argument("--reason", default="data subject request", help="kept in audit.erasures")
    erase.add_argument("--persist", action="store_true", help="record the runs in $DAGSTER_HOME")
    erase.add_argument(
        "--no-compact", action="store_true", help="skip rewriting the warehouse file"
    )
    erase.set_defaults(func=_erase)

    purge = commands.add_parser(
        "purge", help="purge raw rows past the retention period (CX_RETENTION_DAYS)"
    )
    purge.add_argument("--today", help="the date retention counts from (default: today)")
    purge.add_argument("--persist", action="store_true", help="record the runs in $DAGSTER_HOME")
    purge.add_argument(
        "--no-compact", action="store_true", help="skip rewriting the warehouse file"
    )
    purge.set_defaults(func=_purge)

    quarantine = commands.add_parser(
        "quarantine",
        help="what is still quarantined per source and why, oldest first (rows a later "
        "delivery corrected are counted apart)",
    )
    quarantine.add_argument("--entity", help="one entity, e.g. tickets or support.tickets")
    quarantine.add_argument("--limit", type=int, default=20, help="rows listed per entity")
    quarantine.set_defaults(func=_quarantine)

    docs = commands.add_parser("docs", help="render docs/extracts.md from the contract")
    docs.add_argument("--path", default="docs/extracts.md")
    docs.add_argument("--check", action="store_true", help="fail if the page is out of date")
    docs.set_defaults(func=_docs)

    dev = commands.add_parser(
        "dev", help="the Dagster UI and daemon (dagster dev), stopped by SIGTERM or SIGINT"
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev)

    show = commands.add_parser("settings", help="list the environment settings and values")
    show.add_argument(
        "--check", action="store_true", help="validate every setting; exit 2 naming each bad one"
    )
    show.set_defaults(func=_settings)

    alerts = commands.add_parser(
        "alerts", help="check the alerts file and list what would alert now (docs/alerts.md)"
    )
    alerts.add_argument(
        "--send-test", action="store_true", help="send a test alert on every channel instead"
    )
    alerts.set_defaults(func=_alerts)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
