"""Tests of keras_msa.metrics: hand-computed values, scikit-learn parity, masks, errors."""

import numpy as np
import pytest
from sklearn import metrics as skm

from keras_msa import metrics as M

# A small regression example used by several tests (hand values in comments).
#   index   0     1     2    3     4     5
PRED = np.array([2.6, -0.4, 0.0, 1.5, -3.7, 0.2])
Y = np.array([2.5, -0.5, 0.0, 1.4, -3.0, -0.2])


# --------------------------------------------------------------------- regression
def test_mae_hand():
    # |0.1| + |0.1| + 0 + |0.1| + |0.7| + |0.4| = 1.4  ->  1.4 / 6
    assert M.mae(PRED, Y) == pytest.approx(1.4 / 6)


def test_pearson_hand_and_numpy():
    # p - mean = (-1, 0, 1), y - mean = (-1, 1, 0): sum of products 1, sums of squares 2, 2 -> r = 1 / 2
    assert M.pearson_r([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]) == pytest.approx(0.5)
    assert M.pearson_r(PRED, Y) == pytest.approx(np.corrcoef(PRED, Y)[0, 1])
    # constant prediction: undefined -> NaN (np.corrcoef gives NaN too)
    assert np.isnan(M.pearson_r([1.0, 1.0, 1.0], [0.0, 1.0, 2.0]))


def test_acc2_modes_hand():
    # has_zero: y >= 0 -> 1 0 1 1 0 0; pred >= 0 -> 1 0 1 1 0 1: 5 of 6 agree
    assert M.acc2(PRED, Y, mode="has_zero") == pytest.approx(5 / 6)
    assert M.acc2(PRED, Y, mode="ge0") == pytest.approx(5 / 6)
    # non_zero: drop index 2 (y == 0); y > 0 -> 1 0 1 0 0, pred > 0 -> 1 0 1 0 1: 4 of 5
    assert M.acc2(PRED, Y, mode="non_zero") == pytest.approx(4 / 5)
    # all-zero truths leave nothing in non_zero mode
    assert np.isnan(M.acc2([1.0, -1.0], [0.0, 0.0], mode="non_zero"))
    with pytest.raises(ValueError, match="mode"):
        M.acc2(PRED, Y, mode="positive")


def test_acc7_acc5_hand():
    # clipped: pred -> 3, -0, 0, 2, -3, 0; y -> 2, -0, 0, 1, -3, -0: indices 1, 2, 4, 5 agree -> 4 / 6
    assert M.acc7(PRED, Y) == pytest.approx(4 / 6)
    # unclipped (TMA / MFN): -3.7 rounds to -4 != -3 -> 3 / 6
    assert M.acc7(PRED, Y, clip=False) == pytest.approx(3 / 6)
    # clip +-2: pred -> 2, -0, 0, 2, -2, 0; y -> 2, -0, 0, 1, -2, -0: only index 3 differs -> 5 / 6
    assert M.acc5(PRED, Y) == pytest.approx(5 / 6)


def test_rounding_edge_cases():
    # numpy half-to-even: 2.5 -> 2 (matches 2, not 3); -0.5 -> -0 (matches 0)
    assert M.acc7([2.5], [2.0]) == 1.0
    assert M.acc7([2.5], [3.0]) == 0.0
    assert M.acc7([-0.5], [0.0]) == 1.0
    assert M.acc7([1.5], [2.0]) == 1.0  # 1.5 -> 2
    # 3.6 unclipped rounds to 4: never equal to a truth in [-3, 3]; clipped it is 3
    assert M.acc7([3.6], [3.0], clip=False) == 0.0
    assert M.acc7([3.6], [3.0], clip=True) == 1.0
    assert M.acc7([3.5], [3.0], clip=False) == 0.0  # 3.5 -> 4 (even)
    assert M.acc5([2.4], [2.6]) == 1.0  # both clipped to 2


def test_mmmo_binary_hand():
    # y > 3.5: 0 1 1 0; pred > 3.5: 0 1 0 1 (3.5 itself is negative) -> 2 / 4
    assert M.mmmo_binary([3.5, 4.0, 3.0, 3.6], [1.0, 3.51, 5.0, 3.5]) == pytest.approx(0.5)
    rep = M.mmmo_report([3.5, 4.0, 3.0, 3.6], [1.0, 3.51, 5.0, 3.5])
    # binary F1: TP 1 (index 1), FP 1 (index 3), FN 1 (index 2) -> 2 / (2 + 1 + 1)
    assert rep["Acc2"] == pytest.approx(0.5)
    assert rep["F1"] == pytest.approx(0.5)


def test_f1_from_scores_hand_and_mult_swap():
    # has_zero labels: y 1 0 1 1 0 0, pred 1 0 1 1 0 1
    # class 1: TP 3, FP 1, FN 0 -> F1 6/7; class 0: TP 2, FP 0, FN 1 -> F1 4/5
    assert M.f1_from_scores(PRED, Y, average="binary") == pytest.approx(6 / 7)
    # weighted by the truth supports (3 and 3)
    assert M.f1_from_scores(PRED, Y, average="weighted") == pytest.approx(0.5 * 6 / 7 + 0.5 * 0.8)
    # MulT's swapped call weights by the prediction supports (4 ones, 2 zeros)
    swapped = M.f1_from_scores(PRED, Y, average="weighted", swap_arguments=True)
    assert swapped == pytest.approx(4 / 6 * 6 / 7 + 2 / 6 * 0.8)


def test_regression_report_keys_and_values():
    rep = M.regression_report(PRED, Y)
    assert set(rep) == {"MAE", "Corr", "Acc2_has0", "F1_has0", "F1_binary_has0",
                        "Acc2_non0", "F1_non0", "F1_binary_non0", "Acc5", "Acc7"}
    assert rep["Acc2_has0"] == pytest.approx(5 / 6)
    assert rep["Acc2_non0"] == pytest.approx(4 / 5)
    assert rep["Acc7"] == pytest.approx(4 / 6)
    tma = M.regression_report(PRED, Y, acc2_modes=("has_zero",), acc7_clip=False, percent=True)
    assert "Acc2_non0" not in tma
    assert tma["Acc7"] == pytest.approx(50.0)
    assert tma["MAE"] == pytest.approx(1.4 / 6)  # MAE is not scaled
    # MulT-shaped arrays (N, 1, 1) are accepted
    rep3 = M.regression_report(PRED[:, None, None], Y[:, None])
    assert rep3 == pytest.approx(rep, nan_ok=True)


# --------------------------------------------------------------------- classification vs scikit-learn
def test_f1_accuracy_against_sklearn():
    rng = np.random.default_rng(0)
    for num_classes in (2, 3, 5):
        y = rng.integers(0, num_classes, size=60)
        p = np.where(rng.random(60) < 0.6, y, rng.integers(0, num_classes, size=60))
        assert M.accuracy(p, y) == pytest.approx(skm.accuracy_score(y, p))
        for avg in ("weighted", "macro"):
            assert M.f1(p, y, average=avg) == pytest.approx(skm.f1_score(y, p, average=avg, zero_division=0))
        assert M.balanced_accuracy(p, y) == pytest.approx(skm.balanced_accuracy_score(y, p))
        if num_classes == 2:
            assert M.f1(p, y, average="binary") == pytest.approx(skm.f1_score(y, p, zero_division=0))
            assert M.weighted_accuracy(p, y) == pytest.approx(skm.balanced_accuracy_score(y, p))
    # a class predicted but absent from y (support 0 -> weight 0; macro counts it with F1 0)
    y, p = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])
    for avg in ("weighted", "macro"):
        assert M.f1(p, y, average=avg) == pytest.approx(skm.f1_score(y, p, average=avg, zero_division=0))


def test_scores_and_onehot_are_argmaxed():
    # YouTube Acc3: argmax of predicted scores vs argmax of one-hot truth
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1]])
    onehot = np.eye(3)[[1, 0, 1, 2]]
    # argmax pred 1 0 2 1 vs truth 1 0 1 2 -> 2 / 4
    assert M.acc3(scores, onehot) == pytest.approx(0.5)
    # macro F1: class0 1.0, class1 TP1 FP1 FN1 -> 0.5, class2 TP0 FP1 FN1 -> 0 -> 0.5
    assert M.f1(scores, onehot, average="macro") == pytest.approx(0.5)
    rep = M.classification_report(scores, onehot)
    assert "WAcc" not in rep and rep["Acc"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="binary"):
        M.f1(scores, onehot, average="binary")


def test_weighted_accuracy_hand_and_nan():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    p = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    # P = 3, N = 5, TP = 2, TN = 4: (TP * N / P + TN) / (2 N) = (10/3 + 4) / 10
    assert M.weighted_accuracy(p, y) == pytest.approx((10 / 3 + 4) / 10)
    assert M.weighted_accuracy(p, y) == pytest.approx(0.5 * (2 / 3 + 4 / 5))
    # no positive (or no negative) truth: undefined -> NaN
    assert np.isnan(M.weighted_accuracy([1, 0, 1], [0, 0, 0]))
    assert np.isnan(M.weighted_accuracy([1, 0, 1], [1, 1, 1]))
    with pytest.raises(ValueError, match="binary"):
        M.weighted_accuracy([0, 2, 1], [0, 1, 1])
    rep = M.classification_report(p, y)
    assert rep["WAcc"] == pytest.approx(0.5 * (2 / 3 + 4 / 5))
    # TP 2, FP 1, FN 1 -> 4 / 6
    assert rep["F1_binary"] == pytest.approx(4 / 6)


# --------------------------------------------------------------------- masks
def test_masks_flatten_valid_positions_only():
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    pred = np.array([[2.6, -0.4, 99.0], [0.0, 1.5, -3.7]])
    y = np.array([[2.5, -0.5, -99.0], [0.0, 1.4, -3.0]])
    flat_p, flat_y = PRED[:5], Y[:5]
    assert M.mae(pred, y, mask=mask) == pytest.approx(M.mae(flat_p, flat_y))
    assert M.acc7(pred[..., None], y, mask=mask) == pytest.approx(M.acc7(flat_p, flat_y))
    assert M.regression_report(pred, y, mask=mask.astype(bool)) == pytest.approx(
        M.regression_report(flat_p, flat_y), nan_ok=True)
    # per-utterance class scores (N, T, C) with padded garbage
    scores = np.zeros((2, 3, 2))
    scores[..., 1] = [[0.9, 0.2, 0.9], [0.8, 0.1, 0.7]]
    scores[..., 0] = 1 - scores[..., 1]
    labels = np.array([[1, 0, 0], [1, 1, 0]])
    m2 = np.array([[1, 1, 0], [1, 1, 0]])
    # valid: pred 1 0 1 0 vs y 1 0 1 1 -> 3 / 4; W-Acc: P 3 (TP 2), N 1 (TN 1) -> (2/3 + 1) / 2
    assert M.accuracy(scores, labels, mask=m2) == pytest.approx(0.75)
    assert M.weighted_accuracy(scores, labels, mask=m2) == pytest.approx(0.5 * (2 / 3 + 1))
    # without the mask the padded positions would count
    assert M.accuracy(scores, labels, mask=np.ones((2, 3))) != pytest.approx(0.75)


def test_errors_name_argument_expected_and_found():
    with pytest.raises(ValueError, match=r"`pred` and `y`.*3 predictions.*2 truths"):
        M.mae([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"`pred` is empty"):
        M.acc2([], [])
    with pytest.raises(ValueError, match=r"`y` must be finite"):
        M.mae([1.0, 2.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match=r"`pred` must start with the mask shape \(2, 3\).*\(2, 4\)"):
        M.mae(np.zeros((2, 4)), np.zeros((2, 3)), mask=np.ones((2, 3)))
    with pytest.raises(ValueError, match="selects no position"):
        M.mae(np.zeros((2, 3)), np.zeros((2, 3)), mask=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="only 0 and 1"):
        M.mae(np.zeros((2, 3)), np.zeros((2, 3)), mask=np.full((2, 3), 2))
    with pytest.raises(ValueError, match=r"one score per sample.*\(4, 2\)"):
        M.mae(np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="class columns"):
        M.accuracy(np.zeros((3, 2)), np.zeros((3, 3)))
    # (N, T) integer ids without the mask are not mistaken for (N, C) scores
    with pytest.raises(ValueError, match=r"neither class ids nor one-hot.*`mask`; found integer shape \(2, 3\)"):
        M.accuracy([[0, 1, 1], [1, 0, 0]], [[0, 1, 0], [1, 0, 1]])
    assert M.accuracy([[0, 1, 1], [1, 0, 0]], [[0, 1, 0], [1, 0, 1]], mask=np.ones((2, 3))) == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match=r"`y` class ids must be < 3.*found maximum 5"):
        M.accuracy(np.eye(3), [0, 1, 5])
    # NaN in padded positions only is not an error; NaN at a real position names the mask
    pred = np.array([[1.0, np.nan], [2.0, np.nan]])
    y = np.array([[1.5, 0.0], [2.0, 0.0]])
    assert M.mae(pred, y, mask=[[1, 0], [1, 0]]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"`pred` must be finite; found 1 NaN/inf value\(s\) at positions where"):
        M.mae(pred, y, mask=[[1, 1], [1, 0]])


# --------------------------------------------------------------------- multi-label emotions
def test_multilabel_report_against_sklearn_and_nan_exclusion():
    rng = np.random.default_rng(1)
    probs = rng.random((40, 7))
    y = (rng.random((40, 7)) < 0.3).astype(int)
    y[:, 5] = 0  # column 5 has no positive: W-Acc undefined
    rep = M.multilabel_report(probs, y, threshold=0.4)
    assert list(rep["per_class"]) == list(M.EMOTION_NAMES) + [M.NO_EMOTION_NAME]
    wacc = []
    for i, name in enumerate(rep["per_class"]):
        b = (probs[:, i] >= 0.4).astype(int)
        f1w = skm.precision_recall_fscore_support(y[:, i], b, average="weighted", zero_division=0)[2]
        assert rep["per_class"][name]["F1"] == pytest.approx(f1w)
        assert rep["per_class"][name]["Acc"] == pytest.approx(skm.accuracy_score(y[:, i], b))
        if i != 5:
            wacc.append(skm.balanced_accuracy_score(y[:, i], b))
    assert np.isnan(rep["per_class"]["Surprise"]["WAcc"])
    # the NaN column is left out of the average (6 defined columns)
    assert rep["average"]["WAcc"] == pytest.approx(np.mean(wacc))


def test_threshold_compared_at_the_precision_of_the_predictions():
    # float32(0.16) lies below 0.16: numpy (the CIM code, float32 Keras outputs) calls it
    # positive at the threshold 0.16, a float64 comparison would call it negative.
    edge = np.float32(0.16)
    assert float(edge) < 0.16
    y = np.array([[1], [0]])
    p32 = np.array([[edge], [np.float32(0.1)]], dtype="float32")
    assert M.multilabel_report(p32, y, threshold=0.16)["per_class"]["class_0"]["Acc"] == 1.0
    # the same value handed over as float64 is compared in float64: below the threshold
    p64 = p32.astype("float64")
    assert M.multilabel_report(p64, y, threshold=0.16)["per_class"]["class_0"]["Acc"] == 0.5
    # the paper thresholds 0.4 / 0.18 round upwards in float32: no such edge
    assert float(np.float32(0.4)) > 0.4 and float(np.float32(0.18)) > 0.18


def test_threshold_selected_on_valid_not_test():
    # valid: positives 0.30, negatives 0.12 -> every threshold in 0.15..0.30 is perfect; first = 0.15
    vy = np.array([[1], [0], [0], [0]]) * np.ones((1, 6), dtype=int)
    vp = np.where(vy == 1, 0.30, 0.12)
    # test: positives 0.45, negatives 0.32 -> test-best thresholds would be 0.35 / 0.40
    ty = vy.copy()
    tp = np.where(ty == 1, 0.45, 0.32)
    sweep = M.threshold_sweep(vp, vy, tp, ty)
    assert sweep["selected"] == {"F1": 0.15, "WAcc": 0.15}
    assert sweep["valid_scores"]["F1"][1] == pytest.approx(1.0)  # 0.15 on valid
    test_f1 = sweep["test"]["F1"]
    assert test_f1["threshold"] == 0.15
    # on test everything >= 0.15 is predicted 1: per column y 1 0 0 0, pred 1 1 1 1
    # F1 class1 = 2 / (2 + 3) = 0.4 (support 1), class0 = 0 (support 3) -> weighted 0.1
    assert test_f1["average"]["F1"] == pytest.approx(0.1)
    assert test_f1["average"]["Acc"] == pytest.approx(0.25)
    assert sweep["test"]["WAcc"]["average"]["WAcc"] == pytest.approx(0.5)  # (1/1 + 0/3) / 2
    # selecting on the test data itself would pick 0.35 (a test-selected number)
    legacy = M.threshold_sweep(tp, ty, tp, ty)
    assert legacy["selected"]["F1"] == 0.35


def test_per_column_thresholds_selected_on_valid_column_by_column():
    # columns 0-2 ("low"): positives 0.17, negatives 0.12 -> separated by 0.15..0.17 only
    # columns 3-5 ("high"): positives 0.60, negatives 0.35 -> separated by 0.40 and 0.50 only
    vy = np.array([[1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0]])
    levels = np.where(np.arange(6) < 3, 0.17, 0.60), np.where(np.arange(6) < 3, 0.12, 0.35)
    vp = np.where(vy == 1, levels[0], levels[1])
    sweep = M.threshold_sweep(vp, vy, vp, vy, per_column=True)
    assert sweep["selected"]["F1"] == [0.15, 0.15, 0.15, 0.40, 0.40, 0.40]
    assert sweep["selected"]["WAcc"] == [0.15, 0.15, 0.15, 0.40, 0.40, 0.40]
    assert sweep["test"]["F1"]["average"]["F1"] == pytest.approx(1.0)
    assert len(sweep["valid_scores"]["F1"]) == len(M.IITP_THRESHOLDS) and len(sweep["valid_scores"]["F1"][0]) == 6
    # one shared threshold cannot separate both groups: the best scores below 1
    shared = M.threshold_sweep(vp, vy, vp, vy)
    assert shared["test"]["F1"]["average"]["F1"] < 0.9
    # per-column thresholds by hand: column 0 at 0.5 calls everything negative, column 1 at 0.1 everything positive
    y = np.array([[1, 0], [0, 1], [0, 0], [0, 0]])
    p = np.full((4, 2), 0.3)
    rep = M.multilabel_report(p, y, threshold=[0.5, 0.1], names=["a", "b"])
    assert rep["threshold"] == [0.5, 0.1]
    assert rep["per_class"]["a"]["Acc"] == pytest.approx(0.75) and rep["per_class"]["b"]["Acc"] == pytest.approx(0.25)
    # weighted F1 of column a: negatives F1 = 2*3 / (2*3 + 1) with weight 3/4, positives 0
    assert rep["per_class"]["a"]["F1"] == pytest.approx(0.75 * 6 / 7)
    with pytest.raises(ValueError, match=r"`threshold` must be one threshold or one per column \(2\); "
                                         r"found shape \(3,\)"):
        M.multilabel_report(p, y, threshold=[0.5, 0.1, 0.2])
    with pytest.raises(ValueError, match=r"`threshold\[1\]` must be a probability threshold in \(0, 1\); found 1.5"):
        M.multilabel_report(p, y, threshold=[0.5, 1.5])


def test_emotion_report_per_emotion_thresholds():
    y = np.array([[1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0]])
    p = np.where(y == 1, 0.17, 0.12)
    p[:, 5] = np.where(y[:, 5] == 1, 0.6, 0.35)  # Surprise needs 0.40 / 0.50
    rep = M.emotion_report(p, y, valid=(p, y), per_emotion_thresholds=True)
    assert rep["Emo_F1_threshold_Anger_validsel"] == 0.15 and rep["Emo_F1_threshold_Surprise_validsel"] == 0.40
    assert "Emo_F1_threshold_validsel" not in rep
    assert rep["Emo_F1_avg6_validsel"] == pytest.approx(1.0) and rep["Emo_F1_Surprise_validsel"] == pytest.approx(1.0)
    shared = M.emotion_report(p, y, valid=(p, y))
    assert shared["Emo_F1_threshold_validsel"] == 0.15  # five of six columns separate at 0.15
    assert shared["Emo_F1_Surprise_validsel"] < 1.0 and shared["Emo_F1_Anger_validsel"] == pytest.approx(1.0)


def test_emotion_report_fixed_thresholds_6_vs_7_and_validsel():
    # columns 0..5 emotions, 6 = No Class; 5 samples
    y = np.array([
        [1, 0, 0, 1, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [1, 0, 0, 0, 1, 0, 0],
        [0, 0, 1, 0, 0, 0, 0],
    ])
    p = np.where(y == 1, 0.5, 0.1)
    p[2, 6] = 0.3   # No Class under 0.4, above 0.18: F1 column 6 imperfect at 0.4, perfect at 0.18
    p[1, 0] = 0.25  # a false Anger positive at 0.18 only
    rep = M.emotion_report(p, y)
    # at 0.4: columns 0..5 perfect (F1 1); column 6: y 0 0 1 0 0, pred all 0
    #   class0 F1 = 2*4 / (8 + 1) = 8/9 (support 4), class1 F1 0 -> weighted 4/5 * 8/9
    assert rep["Emo_F1_avg6"] == pytest.approx(1.0)
    assert rep["Emo_F1_avg7"] == pytest.approx((6 + 0.8 * 8 / 9) / 7)
    assert rep["Emo_F1_No Class"] == pytest.approx(0.8 * 8 / 9)
    # at 0.18: Anger y 1 0 0 1 0, pred 1 1 0 1 0 -> W-Acc (2/2 + 2/3) / 2; the others 1;
    #   Surprise (column 5) has no positive -> NaN, excluded from the averages
    anger = 0.5 * (1 + 2 / 3)
    assert rep["Emo_WAcc_Anger"] == pytest.approx(anger)
    assert np.isnan(rep["Emo_WAcc_Surprise"])
    assert rep["Emo_WAcc_avg6"] == pytest.approx((anger + 4) / 5)
    assert rep["Emo_WAcc_avg7"] == pytest.approx((anger + 5) / 6)
    # validation-selected thresholds (valid = these data here): 0.10 predicts everything; for
    # 0.15..0.25 Anger's 0.25 is a false positive; from 0.30 the 6 emotions are perfect -> 0.30
    rep2 = M.emotion_report(p, y, valid=(p, y))
    assert rep2["Emo_F1_threshold_validsel"] == pytest.approx(0.30)
    assert rep2["Emo_F1_avg6_validsel"] == pytest.approx(1.0)
    pct = M.emotion_report(p, y, percent=True)
    assert pct["Emo_F1_avg6"] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="7-column head needs 7-column targets"):
        M.emotion_report(p, y[:, :6])
    with pytest.raises(ValueError, match="multi-hot"):
        M.emotion_report(p[:, :6], y[:, :6] * 2.5)


def test_emotion_inputs_must_be_probabilities_and_thresholds_in_0_1():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    probs = np.array([[0.9, 0.2], [0.3, 0.6], [0.7, 0.4]])
    with pytest.raises(ValueError, match=r"`pred` must hold probabilities in \[0, 1\].*\[-2, 3\].*logits"):
        M.emotion_report(np.array([[3.0, -2.0], [0.0, 1.0], [1.0, 0.5]]), y, num_emotions=2)
    with pytest.raises(ValueError, match=r"`f1_threshold` must be a probability threshold in \(0, 1\); found 40"):
        M.emotion_report(probs, y, num_emotions=2, f1_threshold=40)
    with pytest.raises(ValueError, match=r"`thresholds\[0\]`.*found nan"):
        M.threshold_sweep(probs, y, probs, y, thresholds=[float("nan"), 0.5])
    with pytest.raises(ValueError, match=r"`threshold`.*found 1.0"):
        M.multilabel_report(probs, y, threshold=1.0)


def test_emotion_report_with_mask():
    rng = np.random.default_rng(2)
    probs = rng.random((3, 4, 6))
    y = (rng.random((3, 4, 6)) < 0.4).astype(int)
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    flat = M.emotion_report(probs[mask == 1], y[mask == 1])
    masked = M.emotion_report(probs, y, mask=mask, valid=(probs, y, mask))
    for k, v in flat.items():
        assert masked[k] == pytest.approx(v, nan_ok=True)
