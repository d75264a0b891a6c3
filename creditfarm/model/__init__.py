"""The default model: CreditModel (LightGBM), scorecard baseline, metrics, artefacts, model card,
training and the ``evaluate`` report. Import the submodules: ``creditfarm.model.training`` etc."""

__all__: list[str] = []
