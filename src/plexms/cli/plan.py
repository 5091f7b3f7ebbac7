"""``plexms plan``: the plan calculator as readable tables (the same numbers as ``calc plan``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from plexms.cli_io import EXIT_INPUT

if TYPE_CHECKING:
    from plexms.core.errors import InputError
    from plexms.core.plan import Plan

__all__ = ["plan_command"]


def _plan_payload(**options: Any) -> dict[str, Any]:
    return {key: value for key, value in options.items() if value is not None}


def _show_plan_error(error: InputError) -> None:
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    text = f"[bold red]Cannot plan:[/] {error.field}: {error.message}"
    if error.allowed:
        text += f" (allowed: {error.allowed})"
    console.print(text, markup=True)
    for option in getattr(error, "alternatives", []):
        console.print(f"  - {option}", markup=False)


def _show_plan(plan: Plan) -> None:
    from rich.console import Console
    from rich.table import Table

    from plexms.core.sources import cite

    console = Console(highlight=False)
    vol, rx = plan.volumes, plan.prescription
    rep, ac, bal = rx.replacement, rx.anticoagulant, rx.fluid_balance
    console.print(f"[bold]TPE plan[/]: volumes by the {vol.label} ({', '.join(vol.sources)})")
    vials = " + ".join(f"{v.count} x {v.size_ml} mL" for v in rep.albumin_vials) or "-"
    rows = [
        ("Total blood volume", f"{vol.total_blood_volume_ml:.0f} mL"),
        ("Plasma volume", f"{vol.plasma_volume_ml:.0f} mL"),
        ("Plasma volumes per exchange", f"{rx.plasma_volumes_per_exchange:.2f}"),
        ("Exchange volume", f"{rx.exchange_volume_ml:.0f} mL"),
        ("5% albumin", f"{rep.albumin_5pct_ml:.0f} mL = {rep.albumin_g:g} g ({vials})"),
        ("0.9% saline", f"{rep.saline_ml:.0f} mL"),
        (
            "Plasma",
            f"{rep.plasma_ml:.0f} mL" + (f" ({rep.plasma_reason})" if rep.plasma_reason else ""),
        ),
        ("Calcium gluconate 10%", f"{rx.calcium_gluconate_10pct_ml:g} mL"),
        ("ACD-A", f"{ac.volume_ml:.0f} mL at {ac.inlet_to_ac_ratio:g}:1"),
        (
            "Citrate to patient",
            f"{ac.citrate_infusion_rate_mg_kg_min:.2f} mg/kg/min "
            f"(limit {ac.citrate_limit_mg_kg_min:g}{', ABOVE' if ac.above_limit else ''})",
        ),
        (
            "Whole blood processed",
            f"{rx.whole_blood_processed_ml:.0f} mL "
            f"({rx.blood_volumes_processed:.2f} x blood volume)",
        ),
        (
            "Run / chair time",
            f"{rx.run_minutes} / {rx.session_minutes} min at {rx.inlet_flow_ml_min:g} mL/min",
        ),
        ("Fluid balance", f"{bal.net_ml:+.0f} mL (in {bal.in_ml:.0f}, out {bal.out_ml:.0f})"),
    ]
    table = Table(title="Each exchange", show_header=False)
    table.add_column("Quantity")
    table.add_column("Value")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)

    schedule = Table(
        title=f"Course: {plan.first_date} to {plan.last_date} ({plan.course.course_days} days)"
    )
    schedule.caption = "IgG and fibrinogen: predicted level before -> after each exchange"
    for heading in ("#", "Date", "Start", "End", "IgG", "Fibrinogen"):
        schedule.add_column(heading)
    igg, fib = plan.predicted["igg"], plan.predicted["fibrinogen"]
    rows_of_levels = zip(igg.pre, igg.post, fib.pre, fib.post, strict=True)
    for appt, (igg_pre, igg_post, fib_pre, fib_post) in zip(
        plan.course.appointments, rows_of_levels, strict=True
    ):
        schedule.add_row(
            str(appt.exchange),
            f"{appt.date:%a %Y-%m-%d}",
            f"{appt.start:%H:%M}",
            f"{appt.end:%H:%M}",
            f"{igg_pre:.0%} -> {igg_post:.0%}",
            f"{fib_pre:.0%} -> {fib_post:.0%}",
        )
    console.print(schedule)
    for label, texts, style in (
        ("Warning", plan.warnings, "yellow"),
        ("Note", plan.notes, "dim"),
    ):
        for text in texts:
            console.print(f"[{style}]{label}:[/] ", end="")
            console.print(text, markup=False)
    console.print("[bold]Sources[/]")
    for key in plan.sources:
        console.print(f"  {key}: {cite(key)}", markup=False)


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
    from plexms.clock import utcnow
    from plexms.core.errors import InputError as Refused
    from plexms.services.calc import plan as plan_calc

    try:
        plan = plan_calc.CALCULATOR.evaluate(payload, now=utcnow())
    except Refused as exc:
        _show_plan_error(exc)
        raise typer.Exit(EXIT_INPUT) from None
    _show_plan(plan)
