"""`werkmatch risk-report`: the risk model on held-out (test) jobseekers, reported once.

The served champion and both baselines (base rate, phase only; fitted on the train split) are
scored on the test split: AUC and Brier score with 95% bootstrap intervals over jobseekers,
the model's gain over each baseline with paired intervals (the same resampled people), the
same per age band and per benefit regime (with the mean predicted risk beside the observed
share, which shows whom the model under- or overestimates), a calibration plot, and how well
the features predict 45+ (AUC of a logistic regression on them, trained on the train split):
near 0.5 means the features hardly stand in for age.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.preprocessing import OneHotEncoder

from eval.metrics import bootstrap_stat_ci
from eval.plots import calibration_plot
from matching.errors import NotTrainedError
from matching.service import Matcher
from training.risk_data import OLDER, build_risk_set, xy
from training.train_risk import base_rate, phase_only

GROUPS = ("age_band", "benefit")


def _figures(y: np.ndarray, p: np.ndarray, n_boot: int) -> dict[str, object]:
    both = len(set(y.tolist())) == 2
    return {
        "n": len(y),
        "auc": float(roc_auc_score(y, p)) if both else None,
        "auc_ci": list(bootstrap_stat_ci(roc_auc_score, y, p, n_boot=n_boot)) if both else None,
        "brier": float(brier_score_loss(y, p)),
        "brier_ci": list(bootstrap_stat_ci(brier_score_loss, y, p, n_boot=n_boot)),
        "observed": float(y.mean()),
        "predicted": float(p.mean()),
    }


def _auc_gain(y: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    return roc_auc_score(y, p) - roc_auc_score(y, q)


def _brier_gain(y: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    return brier_score_loss(y, q) - brier_score_loss(y, p)  # > 0: p has the lower Brier


def paired_gains(y: np.ndarray, model: np.ndarray, baseline: np.ndarray, n_boot: int) -> dict:
    """How much the model beats a baseline on the same people: AUC gain and Brier reduction,
    each with a paired 95% bootstrap interval (an interval above 0: better beyond chance)."""
    gains = {}
    for name, gain in (("auc_gain", _auc_gain), ("brier_gain", _brier_gain)):
        gains[name] = float(gain(y, model, baseline))
        ci = bootstrap_stat_ci(gain, y, model, baseline, n_boot=n_boot)
        gains[f"{name}_ci"] = list(ci)
    return gains


def age_predictability(train: pl.DataFrame, test: pl.DataFrame) -> float | None:
    """AUC on test of predicting 45+ from the risk features (people of known age)."""
    train, test = (f.filter(pl.col("age_band") != "onbekend") for f in (train, test))
    y_tr, y_te = (f["age_band"].is_in(OLDER).to_numpy().astype(int) for f in (train, test))
    if len(set(y_tr.tolist())) < 2 or len(set(y_te.tolist())) < 2:
        return None
    enc = OneHotEncoder(handle_unknown="ignore").fit(xy(train)[0])
    clf = LogisticRegression(max_iter=2000).fit(enc.transform(xy(train)[0]), y_tr)
    return float(roc_auc_score(y_te, clf.predict_proba(enc.transform(xy(test)[0]))[:, 1]))


def evaluate_risk(matcher: Matcher, n_boot: int = 2000) -> dict:
    """Every held-out figure of the served risk model and the baselines."""
    served = matcher.risk.served or matcher.risk.reload()
    if served is None:
        raise NotTrainedError("no risk model is promoted yet: run `werkmatch train-risk`")
    data = build_risk_set(matcher)
    train, test = (data.filter(pl.col("split") == s) for s in ("train", "test"))
    X, y = xy(test)
    predicted = {
        "model": served.model.predict_proba(X)[:, 1],
        "base_rate": base_rate(train, test),
        "phase_only": phase_only(train, test),
    }
    report: dict = {"version": served.version, "test_rows": test.height, "methods": {}}
    for name, p in predicted.items():
        report["methods"][name] = _figures(y, p, n_boot)
    report["gains"] = {
        name: paired_gains(y, predicted["model"], predicted[name], n_boot)
        for name in ("base_rate", "phase_only")
    }
    for group in GROUPS:
        report[group] = {}
        for value in sorted(test[group].unique().to_list()):
            rows = (test[group] == value).to_numpy()
            report[group][value] = _figures(y[rows], predicted["model"][rows], n_boot)
    report["age_45_auc_from_features"] = age_predictability(train, test)
    report["_curves"] = {k: (p, y) for k, p in predicted.items()}
    return report


def write_risk_report(report: dict, folder: Path) -> Path:
    """report.md, report.json and calibration.png in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    calibration_plot(report.pop("_curves"), folder / "calibration.png")
    (folder / "report.json").write_text(json.dumps(report, indent=2))
    (folder / "report.md").write_text(markdown(report))
    return folder


def _ci(f: dict, key: str) -> str:
    if f.get(key) is None:
        return "n.v.t."
    lo, hi = f[f"{key}_ci"]
    return f"{f[key]:.3f} [{lo:.3f}, {hi:.3f}]"


def markdown(report: dict) -> str:
    lines = [
        f"# Risico op langdurige werkloosheid: testset (model v{report['version']})",
        "",
        f"{report['test_rows']} test-werkzoekenden; 95%-bootstrapintervallen.",
        "",
        "| methode | AUC | Brier | voorspeld | waargenomen |",
        "|---|---|---|---|---|",
    ]
    for name, f in report["methods"].items():
        row = f"| {name} | {_ci(f, 'auc')} | {_ci(f, 'brier')} | {f['predicted']:.3f} |"
        lines.append(f"{row} {f['observed']:.3f} |")
    lines += [
        "",
        "Winst van het model op dezelfde mensen (gepaarde 95%-intervallen; boven 0: beter):",
        "",
        "| tegen | AUC-winst | Brier-verlaging |",
        "|---|---|---|",
    ]
    for name, g in report["gains"].items():
        lines.append(f"| {name} | {_ci(g, 'auc_gain')} | {_ci(g, 'brier_gain')} |")
    for group in GROUPS:
        lines += [
            "",
            f"| {group} | n | AUC | Brier | voorspeld | waargenomen |",
            "|---|---|---|---|---|---|",
        ]
        for value, f in report[group].items():
            row = f"| {value} | {f['n']} | {_ci(f, 'auc')} | {_ci(f, 'brier')} |"
            lines.append(f"{row} {f['predicted']:.3f} | {f['observed']:.3f} |")
    age = report["age_45_auc_from_features"]
    lines += ["", f"AUC van 45+ voorspellen uit de kenmerken: {age:.3f}" if age else ""]
    return "\n".join(lines) + "\n"
