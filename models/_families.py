"""The model families a project can train, by the name the config uses."""

__all__ = ["MODEL_KINDS"]

#: ``[model] kind`` values: monotone additive boosting, the elastic-net logit and the
#: detection-aware logit (risk and detection as two parts).
MODEL_KINDS = ("additive", "elastic_net", "detection_aware")
