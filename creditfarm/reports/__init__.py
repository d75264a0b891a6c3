"""What the PBoC sub-branch and the village committees read: filing and pre-credit rates
(``rates``), credit-village and credit-town assessments (``credit_village``) and the
inclusive-finance indicators (``indicators``)."""
