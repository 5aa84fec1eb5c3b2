"""Time siyu's CLV pipeline against lifetimes 0.11.3 on one simulated transaction log.

Steps: per-customer summary from transactions, BG/NBD fit, Gamma-Gamma fit, and scoring
(E[purchases] in 30/90/365 days, P(alive), 12-month CLV at 1%/month). Both libraries see the
same transactions in the same run; lifetimes runs in its own interpreter (see --help).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
END_DAY = 729  # two years of days: customers born in the first year, observed to day 729
HORIZONS = (30.0, 90.0, 365.0)
SETUP = f"""
lifetimes needs pandas < 2 and numpy < 2, so it runs in a separate venv:
  python3.10 -m venv {ROOT}/.venv-bench
  {ROOT}/.venv-bench/bin/pip install -r {ROOT}/benchmarks/requirements-lifetimes.txt
Without it (or with --skip-lifetimes) only siyu is timed.
"""


def _timed(timings: dict[str, float], step: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    timings[step] = time.perf_counter() - start
    return result


def simulate(n_customers: int, seed: int) -> dict[str, np.ndarray]:
    """A seeded BG/NBD + Gamma-Gamma log in days, shuffled into date order like an export."""
    from siyu.analytics.clv import BgNbdParams, GammaGammaParams
    from siyu.analytics.clv.simulate import simulate_transactions

    log = simulate_transactions(
        np.random.default_rng(seed),
        n_customers,
        BgNbdParams(r=0.6, alpha=35.0, a=0.8, b=2.5),
        GammaGammaParams(p=6.25, q=3.74, gamma=15.44),
        birth_days=365,
        end_day=END_DAY + 1,
    )
    day = np.floor(log.time).astype(np.int64)
    order = np.argsort(day, kind="stable")
    value = np.maximum(np.round(log.value, 2), 0.01)  # whole fen, never 0
    return {"customer": log.customer[order], "day": day[order], "value": value[order]}


def run_siyu(log: dict[str, np.ndarray]) -> dict[str, Any]:
    from siyu.analytics import clv

    timings: dict[str, float] = {}
    summary = _timed(
        timings,
        "summary",
        lambda: clv.summarize_transactions(
            log["customer"], log["day"], log["value"], end_day=END_DAY, unit=clv.TimeUnit.DAY
        ),
    )
    rows = (summary.frequency, summary.recency, summary.age)
    purchases = _timed(timings, "bgnbd_fit", lambda: clv.fit_bgnbd(*rows)).params
    spend = _timed(
        timings,
        "gamma_gamma_fit",
        lambda: clv.fit_gamma_gamma(summary.frequency, summary.monetary_value),
    ).params
    expected = _timed(
        timings,
        "score_expected_30_90_365",
        lambda: clv.conditional_expected_purchases_at(purchases, HORIZONS, *rows),
    )
    alive = _timed(timings, "score_p_alive", lambda: clv.probability_alive(purchases, *rows))
    value = _timed(
        timings,
        "score_clv_12_months",
        lambda: clv.customer_lifetime_value(
            purchases, spend, *rows, summary.monetary_value, unit=clv.TimeUnit.DAY
        ),
    )
    params = {"r": purchases.r, "alpha": purchases.alpha, "a": purchases.a, "b": purchases.b}
    params |= {"p": spend.p, "q": spend.q, "gamma": spend.gamma}
    scores = {"expected_365": expected[2], "p_alive": alive, "clv": value}
    return {"timings": timings, "params": params, "scores": scores}


def lifetimes_worker(log_path: str, result_path: str) -> None:
    """Runs under .venv-bench: the same steps with lifetimes' public API."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    log = np.load(log_path)
    transactions = pd.DataFrame(
        {
            "customer": log["customer"],
            "date": log["day"].astype("datetime64[D]"),
            "value": log["value"],
        }
    )
    end = str(np.datetime64(END_DAY, "D"))
    timings: dict[str, float] = {}
    summary = _timed(
        timings,
        "summary",
        lambda: summary_data_from_transaction_data(
            transactions, "customer", "date", "value", observation_period_end=end, freq="D"
        ),
    )
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    bgf = _timed(timings, "bgnbd_fit", lambda: BetaGeoFitter().fit(x, t_x, age))
    repeat = summary[x > 0]
    ggf = _timed(
        timings,
        "gamma_gamma_fit",
        lambda: GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]),
    )
    expected = _timed(
        timings,
        "score_expected_30_90_365",
        lambda: [
            bgf.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, age)
            for t in HORIZONS
        ],
    )
    alive = _timed(timings, "score_p_alive", lambda: bgf.conditional_probability_alive(x, t_x, age))
    value = _timed(
        timings,
        "score_clv_12_months",
        lambda: ggf.customer_lifetime_value(
            bgf, x, t_x, age, summary["monetary_value"], time=12, discount_rate=0.01, freq="D"
        ),
    )
    params = {key: float(bgf.params_[key]) for key in ("r", "alpha", "a", "b")}
    params |= {"p": float(ggf.params_["p"]), "q": float(ggf.params_["q"])}
    params["gamma"] = float(ggf.params_["v"])
    np.savez(
        result_path + ".npz",
        expected_365=np.asarray(expected[2]),
        p_alive=np.asarray(alive),
        clv=np.asarray(value),
    )
    Path(result_path).write_text(json.dumps({"timings": timings, "params": params}))


def run_lifetimes(python: Path, log: dict[str, np.ndarray]) -> dict[str, Any] | None:
    if not python.exists():
        print(f"lifetimes not timed: {python} missing.{SETUP}")
        return None
    with tempfile.TemporaryDirectory() as folder:
        log_path, result_path = f"{folder}/log.npz", f"{folder}/result.json"
        np.savez(log_path, **log)
        command = [str(python), __file__, "--lifetimes-worker", log_path, result_path]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            print(f"lifetimes failed:\n{completed.stderr[-2000:]}")
            return None
        result: dict[str, Any] = json.loads(Path(result_path).read_text())
        with np.load(result_path + ".npz") as scores:
            result["scores"] = {name: scores[name] for name in scores.files}
    return result


def _relative(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)))


def report(siyu: dict[str, Any], lifetimes: dict[str, Any] | None, n_transactions: int) -> None:
    ours = siyu["timings"]
    theirs = lifetimes["timings"] if lifetimes else {}
    print(f"\n{'step':<28}{'siyu s':>10}{'lifetimes s':>14}{'speed-up':>10}")
    for step, seconds in [*ours.items(), ("total", sum(ours.values()))]:
        other = sum(theirs.values()) if step == "total" and theirs else theirs.get(step)
        other_text = f"{other:14.3f}{other / seconds:9.1f}x" if other else f"{'-':>14}"
        print(f"{step:<28}{seconds:10.3f}{other_text}")
    fit_and_score = sum(seconds for step, seconds in ours.items() if step != "summary")
    print(f"siyu fit + scoring: {fit_and_score:.2f} s; {n_transactions:,} transactions")
    if not lifetimes:
        return
    print(f"\n{'parameter':<10}{'siyu':>14}{'lifetimes':>14}{'rel. diff':>12}")
    for name, value in siyu["params"].items():
        other = lifetimes["params"][name]
        print(f"{name:<10}{value:14.6g}{other:14.6g}{abs(value - other) / abs(other):12.2e}")
    print("\nlargest relative difference per customer (each at its own estimates):")
    for name, scores in siyu["scores"].items():
        print(f"  {name:<14}{_relative(scores, lifetimes['scores'][name]):.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, epilog=SETUP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2005)
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument(
        "--lifetimes-python", type=Path, default=ROOT / ".venv-bench" / "bin" / "python"
    )
    parser.add_argument("--lifetimes-worker", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.lifetimes_worker:
        lifetimes_worker(*arguments.lifetimes_worker)
        return
    log = simulate(arguments.customers, arguments.seed)
    n_transactions = int(log["day"].size)
    print(f"simulated {arguments.customers:,} customers, {n_transactions:,} transactions")
    siyu = run_siyu(log)
    lifetimes = None if arguments.skip_lifetimes else run_lifetimes(arguments.lifetimes_python, log)
    report(siyu, lifetimes, n_transactions)


if __name__ == "__main__":
    sys.exit(main())
