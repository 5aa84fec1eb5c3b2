"""Maximum likelihood on log-parameters with L-BFGS-B, shared by the CLV models (private)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from siyu.analytics.clv._arrays import FloatArray
from siyu.analytics.clv.errors import ConvergenceError

# exp(+-20) spans 2e-9 .. 5e8: an estimate on this bound means the data cannot identify it.
LOG_PARAMETER_BOUND = 20.0
# Convergence is judged on the mean log-likelihood per customer.
_GRADIENT_TOLERANCE = 1e-6

Objective = Callable[[FloatArray], tuple[float, FloatArray]]


@dataclass(frozen=True, slots=True)
class Optimum:
    log_parameters: FloatArray
    log_likelihood: float
    n_iterations: int


def maximize_log_likelihood(
    log_likelihood: Objective, initial: FloatArray, total_weight: float, names: tuple[str, ...]
) -> Optimum:
    """Maximise `log_likelihood(log_parameters) -> (value, gradient)`.

    Raises ConvergenceError when the optimiser fails, a parameter runs to its bound or the
    result is not finite.
    """

    def mean_negative(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = log_likelihood(log_parameters)
        return -value / total_weight, -gradient / total_weight

    bounds = [(-LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND)] * initial.size
    result = minimize(
        mean_negative,
        initial,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
    )
    log_parameters = np.asarray(result.x, dtype=np.float64)
    value, gradient = log_likelihood(log_parameters)
    _check_optimum(log_parameters, value, gradient / total_weight, names, str(result.message))
    return Optimum(log_parameters, value, int(result.nit))


def _check_optimum(
    log_parameters: FloatArray,
    value: float,
    mean_gradient: FloatArray,
    names: tuple[str, ...],
    message: str,
) -> None:
    if not (np.isfinite(value) and np.all(np.isfinite(log_parameters))):
        raise ConvergenceError(f"non-finite estimate or log-likelihood ({message})")
    at_bound = np.abs(log_parameters) >= LOG_PARAMETER_BOUND - 1e-6
    if np.any(at_bound):
        diverged = ", ".join(name for name, hit in zip(names, at_bound, strict=True) if hit)
        raise ConvergenceError(f"{diverged} ran to the edge of the search range: not identified")
    if np.max(np.abs(mean_gradient)) > _GRADIENT_TOLERANCE:
        raise ConvergenceError(f"no stationary point reached ({message})")
