"""The named settings of NMTuneClassifier: the methods this package compares."""

from types import MappingProxyType

# Documented where the package exports it (sknml/__init__.py).
NAMED_SETTINGS = MappingProxyType(
    {
        "lp": MappingProxyType({"n_layers": 0}),
        "mlp": MappingProxyType(
            {"lambda_mse": 0.0, "lambda_cov": 0.0, "lambda_svd": 0.0}
        ),
        "nmtune": MappingProxyType({}),
        "nmtune-reference": MappingProxyType(
            {
                "lambda_mse": 1.0,
                "lambda_cov": 0.04,
                "lambda_svd": 0.001,
                "svd_top_k": 5,
                "scale_invariant": False,
            }
        ),
        "nmtune-paper": MappingProxyType(
            {
                "lambda_mse": 0.01,
                "lambda_cov": 0.01,
                "lambda_svd": 0.01,
                "svd_top_k": 1,
                "hidden_ratio": 1.0,
                "residual": False,
                "scale_invariant": False,
            }
        ),
    }
)
