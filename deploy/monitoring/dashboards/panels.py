"""Panel and dashboard helpers over grafana-foundation-sdk, so every panel is complete by construction.

Each helper sets the panel's options (a panel left without any encodes ``"options": null``, which the
SDK then refuses to decode), the ``${datasource}`` Prometheus variable, a unit
and a description: what the panel tells the person on call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["meridian"]
# One (color, from-value) list per meaning; the first step has no lower bound.
Steps = Sequence[tuple[str, float | None]]
GOOD_LOW: Steps = [("green", None)]
ERROR_RATE_STEPS: Steps = [("green", None), ("orange", 0.01), ("red", 0.05)]
WINDOW_AGE_STEPS: Steps = [("green", None), ("orange", 180.0), ("red", 600.0)]
READY_STEPS: Steps = [("red", None), ("orange", 0.5), ("green", 1.0)]
LAG_STEPS: Steps = [("green", None), ("orange", 60.0), ("red", 300.0)]

PanelBuilder = timeseries.Panel | stat.Panel | table.Panel
# A target is (PromQL, legend); the legend is a Grafana template such as "{{event_type}}".
Target = tuple[str, str]


def _query(expr: str, legend: str, ref_id: str, *, instant: bool = False) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).datasource(DATASOURCE)
    return q.instant().format(PromQueryFormat.TABLE) if instant else q.range()


def _thresholds(steps: Steps) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for color, value in steps])
    )


def timeseries_panel(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    width: int = 12,
    height: int = 8,
    steps: Steps = GOOD_LOW,
    max_value: float | None = None,
) -> timeseries.Panel:
    """A line chart with a table legend (last and max), tooltips listing every series."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .span(width)
        .height(height)
        .thresholds(_thresholds(steps))
        .line_width(1)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .span_nulls(False)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
        .tooltip(
            common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)
        )
    )
    if max_value is not None:
        panel = panel.max(max_value)
    for i, (expr, legend) in enumerate(targets):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + i)))
    return panel


def stat_panel(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Target],
    *,
    width: int = 6,
    height: int = 4,
    steps: Steps = GOOD_LOW,
    decimals: int | None = None,
) -> stat.Panel:
    """One big number (the last value) coloured by thresholds, with a sparkline of the time range."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .thresholds(_thresholds(steps))
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.AREA)
        .justify_mode(common.BigValueJustifyMode.AUTO)
        .text_mode(common.BigValueTextMode.AUTO)
        .orientation(common.VizOrientation.AUTO)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    for i, (expr, legend) in enumerate(targets):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + i)))
    return panel


def table_panel(
    title: str,
    description: str,
    expr: str,
    mappings: dict[str, tuple[str, str]],
    *,
    width: int = 12,
    height: int = 8,
) -> table.Panel:
    """An instant query shown as rows (one per label set), its value mapped to words and colours."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit("none")
        .span(width)
        .height(height)
        .show_header(True)
        .cell_height(common.TableCellHeight.SM)
        .mappings(
            [
                model.ValueMap(
                    options={
                        value: model.ValueMappingResult(text=text, color=color, index=i)
                        for i, (value, (text, color)) in enumerate(mappings.items())
                    }
                )
            ]
        )
        .with_transformation(model.DataTransformerConfig(id_val="organize", options={"excludeByName": {"Time": True}}))
        .with_target(_query(expr, "__auto", "A", instant=True))
    )


@dataclass(frozen=True)
class Section:
    """A row of the dashboard and the panels under it; ``repeat`` clones the row per value of a variable."""

    title: str
    panels: Sequence[PanelBuilder]
    repeat: str | None = None


def datasource_variable() -> dashboard_builders.DatasourceVariable:
    """``${datasource}``: every panel and query reads from the Prometheus the viewer picks."""
    return dashboard_builders.DatasourceVariable("datasource").label("Prometheus").type("prometheus")


def region_variable(regions: Sequence[str]) -> dashboard_builders.CustomVariable:
    """``$region``: the regions to show (all by default); matched as a regex, so several can be picked."""
    return (
        dashboard_builders.CustomVariable("region")
        .label("Region")
        .values(",".join(regions))
        .multi(True)
        .include_all(True)
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )


def dashboard(
    uid: str,
    title: str,
    description: str,
    tags: Sequence[str],
    sections: Sequence[Section],
    variables: Sequence[cogbuilder.Builder[model.VariableModel]] = (),
) -> model.Dashboard:
    """A dashboard with stable panel ids (links to a panel survive a rebuild), refreshing every 30 s."""
    builder = (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([*TAGS, *tags])
        .editable()
        .timezone("utc")
        .time("now-1h", "now")
        .refresh("30s")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .annotations([])  # an explicit empty list: Grafana adds its built-in annotation to it
        .link(
            dashboard_builders.DashboardLink("Meridian dashboards")
            .type(model.DashboardLinkType.DASHBOARDS)
            .tags(TAGS)
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
        .with_variable(datasource_variable())
    )
    for variable in variables:
        builder = builder.with_variable(variable)
    panel_id = 0
    for section in sections:
        panel_id += 1
        row_builder = dashboard_builders.Row(section.title).id(panel_id).collapsed(False)
        if section.repeat is not None:
            row_builder = row_builder.repeat(section.repeat)
        builder = builder.with_row(row_builder)
        for panel in section.panels:
            panel_id += 1
            builder = builder.with_panel(panel.id(panel_id))
    return builder.build()
