"""Customer-lifetime-value models: BG/NBD purchases, Gamma-Gamma spend, discounted CLV.

Pure numpy in, numpy out: the callers load transactions from the store and persist the scores.
"""

from siyu.analytics.clv.bgnbd import (
    DEFAULT_MIN_REPEAT_CUSTOMERS,
    BgNbdFit,
    BgNbdParams,
    bgnbd_log_likelihood,
    bgnbd_log_likelihood_gradient,
    fit_bgnbd,
)
from siyu.analytics.clv.bgnbd_predict import (
    conditional_expected_purchases,
    conditional_expected_purchases_at,
    discounted_expected_purchases,
    expected_next_purchase_in,
    probability_alive,
    unconditional_expected_purchases,
)
from siyu.analytics.clv.errors import (
    ClvError,
    ClvErrorCode,
    ConvergenceError,
    InsufficientDataError,
    InvalidInputError,
)
from siyu.analytics.clv.gamma_gamma import (
    GammaGammaFit,
    GammaGammaParams,
    conditional_expected_spend,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from siyu.analytics.clv.lifetime_value import DAYS_PER_MONTH, customer_lifetime_value
from siyu.analytics.clv.summary import RfmSummary, TimeUnit, summarize_transactions

__all__ = [
    "DAYS_PER_MONTH",
    "DEFAULT_MIN_REPEAT_CUSTOMERS",
    "BgNbdFit",
    "BgNbdParams",
    "ClvError",
    "ClvErrorCode",
    "ConvergenceError",
    "GammaGammaFit",
    "GammaGammaParams",
    "InsufficientDataError",
    "InvalidInputError",
    "RfmSummary",
    "TimeUnit",
    "bgnbd_log_likelihood",
    "bgnbd_log_likelihood_gradient",
    "conditional_expected_purchases",
    "conditional_expected_purchases_at",
    "conditional_expected_spend",
    "customer_lifetime_value",
    "discounted_expected_purchases",
    "expected_next_purchase_in",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "probability_alive",
    "summarize_transactions",
    "unconditional_expected_purchases",
]
