"""Scoring: the run that scores every filed household as of a date and stores its assessments
(``run``), and the 整村授信 list of current assessments (``lists``). Import the submodule you need:
``run`` loads LightGBM, ``lists`` does not."""
