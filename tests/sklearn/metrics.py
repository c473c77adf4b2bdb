"""scikit-learn's metrics on the predictions and targets Unrolled's metric tests write (a JSON file), printed as JSON:
the independent reference for AUC (ROC and PR), precision, recall, F1 and R² (Debian's python3-sklearn)."""
import json
import sys

import numpy as np
from sklearn import metrics

case = json.load(open(sys.argv[1]))
p = np.array(case["predictions"], dtype=np.float64)
t = np.array(case["targets"], dtype=np.float64)
out = {}
flat_p, flat_t = p.ravel(), (t.ravel() >= 0.5).astype(int)
out["roc_auc"] = metrics.roc_auc_score(flat_t, flat_p)
precision, recall, _ = metrics.precision_recall_curve(flat_t, flat_p)
out["pr_auc"] = metrics.auc(recall, precision)
out["precision"] = metrics.precision_score(flat_t, (flat_p > 0.5).astype(int), zero_division=0)
out["recall"] = metrics.recall_score(flat_t, (flat_p > 0.5).astype(int), zero_division=0)
if p.shape[1] > 1:
    truth, guess = t.argmax(axis=1), p.argmax(axis=1)
    labels = list(range(p.shape[1]))
    for average in ("macro", "micro", "weighted"):
        out["f1_" + average] = metrics.f1_score(truth, guess, labels=labels, average=average, zero_division=0)
out["r2"] = metrics.r2_score(t, p, multioutput="uniform_average")
if "weights" in case:
    # Keras's weighted_metrics: each row's weight applies to every element of the row.
    w = np.array(case["weights"], dtype=np.float64)
    flat_w = np.repeat(w, p.shape[1])
    out["roc_auc_weighted"] = metrics.roc_auc_score(flat_t, flat_p, sample_weight=flat_w)
    out["precision_weighted"] = metrics.precision_score(flat_t, (flat_p > 0.5).astype(int), sample_weight=flat_w, zero_division=0)
    out["recall_weighted"] = metrics.recall_score(flat_t, (flat_p > 0.5).astype(int), sample_weight=flat_w, zero_division=0)
    if p.shape[1] > 1:
        for average in ("macro", "micro", "weighted"):
            out["f1_" + average + "_weighted"] = metrics.f1_score(truth, guess, labels=labels, average=average, sample_weight=w, zero_division=0)
    out["r2_weighted"] = metrics.r2_score(t, p, sample_weight=w, multioutput="uniform_average")
print(json.dumps(out))
