"""``plexms plan``: the plan calculator as readable tables (the same numbers as ``calc plan``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from plexms.cli_io import EXIT_INPUT
from plexms.services import calc as calc_service

__all__ = ["plan_command"]


def _plan_payload(**options: Any) -> dict[str, Any]:
    return {key: value for key, value in options.items() if value is not None}


def _show_plan_error(error: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    text = f"[bold red]Cannot plan:[/] {error.get('field')}: {error.get('message')}"
    if error.get("allowed"):
        text += f" (allowed: {error['allowed']})"
    console.print(text, markup=True)
    for option in error.get("alternatives", []):
        console.print(f"  - {option}", markup=False)


def _show_plan(body: dict[str, Any]) -> None:
    import datetime

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    method_sources = body["derivations"]["total_blood_volume_ml"]["sources"]
    console.print(
        f"[bold]TPE plan[/]: volumes by the {body['volume_method_label']} "
        f"({', '.join(method_sources)})"
    )
    rep, ac, bal = body["replacement"], body["anticoagulant"], body["fluid_balance"]
    vials = " + ".join(f"{v['count']} x {v['size_ml']} mL" for v in rep["albumin_vials"]) or "-"
    rows = [
        ("Total blood volume", f"{body['total_blood_volume_ml']:.0f} mL"),
        ("Plasma volume", f"{body['plasma_volume_ml']:.0f} mL"),
        ("Plasma volumes per exchange", f"{body['plasma_volumes_per_exchange']:.2f}"),
        ("Exchange volume", f"{body['exchange_volume_ml']:.0f} mL"),
        ("5% albumin", f"{rep['albumin_5pct_ml']:.0f} mL = {rep['albumin_g']:g} g ({vials})"),
        ("0.9% saline", f"{rep['saline_ml']:.0f} mL"),
        (
            "Plasma",
            f"{rep['plasma_ml']:.0f} mL"
            + (f" ({rep['plasma_reason']})" if rep["plasma_reason"] else ""),
        ),
        ("Calcium gluconate 10%", f"{body['calcium_gluconate_10pct_ml']:g} mL"),
        ("ACD-A", f"{ac['volume_ml']:.0f} mL at {ac['inlet_to_ac_ratio']:g}:1"),
        (
            "Citrate to patient",
            f"{ac['citrate_infusion_rate_mg_kg_min']:.2f} mg/kg/min "
            f"(limit {ac['citrate_limit_mg_kg_min']:g}{', ABOVE' if ac['above_limit'] else ''})",
        ),
        (
            "Whole blood processed",
            f"{body['whole_blood_processed_ml']:.0f} mL "
            f"({body['blood_volumes_processed']:.2f} x blood volume)",
        ),
        (
            "Run / chair time",
            f"{body['run_minutes']} / {body['session_minutes']} min "
            f"at {body['inlet_flow_ml_min']:g} mL/min",
        ),
        (
            "Fluid balance",
            f"{bal['net_ml']:+.0f} mL (in {bal['in_ml']:.0f}, out {bal['out_ml']:.0f})",
        ),
    ]
    table = Table(title="Each exchange", show_header=False)
    table.add_column("Quantity")
    table.add_column("Value")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)

    course = body["course"]
    schedule = Table(
        title=f"Course: {course['first_date']} to {course['last_date']} "
        f"({course['course_days']} days)"
    )
    schedule.caption = "IgG and fibrinogen: predicted level before -> after each exchange"
    for heading in ("#", "Date", "Start", "End", "IgG", "Fibrinogen"):
        schedule.add_column(heading)
    predicted = body["predicted"]
    for appt, igg, fib in zip(
        body["schedule"], predicted["igg"], predicted["fibrinogen"], strict=True
    ):
        day = datetime.date.fromisoformat(appt["date"])
        schedule.add_row(
            str(appt["exchange"]),
            f"{day:%a} {appt['date']}",
            appt["start"],
            appt["end"],
            f"{igg['pre']:.0%} -> {igg['post']:.0%}",
            f"{fib['pre']:.0%} -> {fib['post']:.0%}",
        )
    console.print(schedule)
    for label, key, style in (("Warning", "warnings", "yellow"), ("Note", "notes", "dim")):
        for text in body[key]:
            console.print(f"[{style}]{label}:[/] ", end="")
            console.print(text, markup=False)
    console.print("[bold]Sources[/]")
    for source in body["sources"]:
        console.print(f"  {source['key']}: {source['citation']}", markup=False)


def plan_command(
    sex: Annotated[str, typer.Option(help="female or male.")],
    height_cm: Annotated[float, typer.Option(help="Height in cm.")],
    weight_kg: Annotated[float, typer.Option(help="Weight in kg.")],
    hematocrit: Annotated[float, typer.Option(help="Hematocrit as a fraction, e.g. 0.40.")],
    volume_method: Annotated[
        str | None, typer.Option(help="nadler (default), kaplan, weight or lemmens.")
    ] = None,
    plasma_volumes_per_exchange: Annotated[
        float | None, typer.Option(help="Default 1.0 (MS protocol 1.0-1.5).")
    ] = None,
    exchanges: Annotated[int | None, typer.Option(help="Default 5 (protocol 5-7).")] = None,
    start_date: Annotated[
        str | None, typer.Option(help="ISO date; default today at the centre.")
    ] = None,
    interval_days: Annotated[int | None, typer.Option(help="Default 2.")] = None,
    course_days: Annotated[int | None, typer.Option(help="Default 14.")] = None,
    inlet_flow_ml_min: Annotated[float | None, typer.Option(help="Default 60.")] = None,
) -> None:
    """Plan a course for one patient and print it as tables (same numbers as `calc plan`)."""
    payload = _plan_payload(
        sex=sex,
        height_cm=height_cm,
        weight_kg=weight_kg,
        hematocrit=hematocrit,
        volume_method=volume_method,
        plasma_volumes_per_exchange=plasma_volumes_per_exchange,
        exchanges=exchanges,
        start_date=start_date,
        interval_days=interval_days,
        course_days=course_days,
        inlet_flow_ml_min=inlet_flow_ml_min,
    )
    outcome = calc_service.run("plan", payload)
    if not outcome.ok:
        _show_plan_error(outcome.body["error"])
        raise typer.Exit(EXIT_INPUT)
    _show_plan(outcome.body)
