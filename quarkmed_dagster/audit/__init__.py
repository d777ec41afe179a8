"""Expert audit: blinded stratified samples for clinicians, label import, and concordance
(rate, Cohen's kappa, balanced F1) between judges and physicians."""
