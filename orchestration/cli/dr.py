"""``meridian dr``: the aggregation lease, the mirrors, and the disaster-recovery drill."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestration.cli.io import clear_errors

app = typer.Typer(help="Disaster recovery: the aggregation lease, mirror lag, and the drill.", no_args_is_help=True)


@app.command()
def drill(
    home: Annotated[Path, typer.Option(help="Where the drill's regions, logs and report go (emptied first).")] = Path(
        ".local/drill"
    ),
    regions: Annotated[
        str, typer.Option(help="Two or three regions, comma-separated; the first aggregates.")
    ] = "us,eu",
    lose: Annotated[str | None, typer.Option(help="The region to kill (default: the aggregation region).")] = None,
    rate: Annotated[float, typer.Option(min=1, help="Events per second through the edges, all clients.")] = 20.0,
    failover_after: Annotated[
        float, typer.Option(min=2, help="Seconds of silence from the lease holder before a survivor takes over.")
    ] = 10.0,
    steady: Annotated[
        float, typer.Option(min=0, help="Seconds of traffic after the first gold, before the kill.")
    ] = 20,
    outage: Annotated[float, typer.Option(min=0, help="Seconds of traffic after recovery, region still down.")] = 10,
    failback: Annotated[float, typer.Option(min=0, help="Seconds of traffic after the region is back.")] = 10,
    rto_goal: Annotated[float, typer.Option(min=1, help="Seconds from the kill to fresh global gold.")] = 120,
    fresh_instance: Annotated[
        bool, typer.Option(help="Restart the survivor's Dagster on an empty instance at the kill.")
    ] = True,
    postgres: Annotated[bool, typer.Option(help="Dagster's instances on a local PostgreSQL (else SQLite).")] = True,
    steady_gold: Annotated[
        bool, typer.Option(help="Kill only after the aggregation region's first gold (else after the first landings).")
    ] = True,
) -> None:
    """Lose a region under live traffic, fail over, fail back; report RPO and RTO (non-zero exit on a missed goal)."""
    from orchestration.drill.report import Goals
    from orchestration.drill.run import DrillOptions, run_drill

    options = DrillOptions(
        home=home,
        regions=tuple(r.strip() for r in regions.split(",") if r.strip()),
        lose=lose,
        rate=rate,
        failover_after_s=failover_after,
        steady_s=steady,
        outage_traffic_s=outage,
        failback_traffic_s=failback,
        fresh_instance=fresh_instance,
        postgres=postgres,
        steady_gold=steady_gold,
        goals=Goals(rto_seconds=rto_goal),
    )
    with clear_errors():
        report = run_drill(options, say=lambda line: typer.echo(line, err=True))
    typer.echo(report.table())
    typer.echo(f"report: {home.absolute() / 'report.json'}")
    if not report.passed:
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """The aggregation lease (holder, epoch, history), every region's last heartbeat, and the current gold."""
    from datetime import UTC, datetime

    from orchestration.defs.dr.fencing import current_gold
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.lib.failover import heartbeats
    from orchestration.settings import get_settings

    with clear_errors():
        settings = get_settings()
        if not settings.dr.enabled:
            raise typer.BadParameter("disaster recovery is off: set MERIDIAN_DR_ENABLED=true")
        lake = shared_resources(settings)[1]
        leases = lake.leases()
        history = leases.history()
        beats = heartbeats(lake.lease_storage())
        gold = current_gold(lake) if history else None
    now = datetime.now(UTC)
    typer.echo(f"lease store {lake.lease_storage().describe()}")
    for lease in history:
        typer.echo(
            f"  epoch {lease.epoch}: {lease.aggregation_region} (granted {lease.granted_at:%Y-%m-%d %H:%M:%S} UTC "
            f"by {lease.granted_by}: {lease.reason})"
        )
    for region, at in sorted(beats.items()):
        typer.echo(f"  heartbeat {region}: {(now - at).total_seconds():.0f} s ago")
    typer.echo(f"  global gold: {gold if gold else 'nothing published under the current epoch yet'}")


@app.command()
def promote(
    region: Annotated[str, typer.Argument(help="The region to make the aggregation region.")],
    reason: Annotated[str, typer.Option(help="Why, for the lease's history.")] = "operator",
) -> None:
    """Hand the aggregation lease to ``region`` (a failback of the role, or a planned move): epoch + 1."""
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.settings import get_settings

    with clear_errors():
        settings = get_settings()
        if region not in settings.lake.regions:
            raise typer.BadParameter(f"{region!r} is not in MERIDIAN_REGIONS {settings.lake.regions}")
        lake = shared_resources(settings)[1]
        current = lake.aggregation_lease()
        assert current is not None  # noqa: S101 - shared_resources gives a lease store when DR is on
        lease = lake.leases().promote(region, expected_epoch=current.epoch, by="meridian dr promote", reason=reason)
    typer.echo(f"{lease.aggregation_region} holds the aggregation lease at epoch {lease.epoch}")


@app.command("mirror-lag")
def mirror_lag_command(
    prometheus: Annotated[
        bool, typer.Option(help="Print Prometheus's text format (for a textfile collector).")
    ] = False,
) -> None:
    """How far each mirrored topic on this region's cluster is behind its source region's."""
    from orchestration.defs.shared.resources import shared_resources
    from orchestration.settings import get_settings
    from streaming.kafka.mirror import mirror_lag, prometheus_lines

    with clear_errors():
        settings = get_settings()
        kafka = shared_resources(settings)[0]
        home = settings.lake.primary_region
        lags = [
            mirror_lag(
                kafka.for_region(source).kafka_settings(), kafka.kafka_settings(), kafka.events_topic, source, home
            )
            for source in kafka.region_bootstrap_servers
        ]
    if prometheus:
        typer.echo(prometheus_lines(lags), nl=False)
        return
    for lag in lags:
        typer.echo(f"{lag.source} -> {lag.target}: {lag.total_records} record(s), {lag.seconds:.1f} s behind")
