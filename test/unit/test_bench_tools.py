"""The benchmark scripts' own logic (dev/bench2d paired rounds, dev/bench_int8 head finding): the
numbers they print come from real runs; these tests check the arithmetic and the graph walk."""

import onnx
from onnx import TensorProto, helper

from dev.bench2d import cpu_ms_per_frame, paired_rounds, render_pairs
from dev.bench_int8 import head_convs


def _run(fps, cores):
    return {"fps": fps, "cpu_cores_used": cores}


def test_cpu_ms_per_frame_is_cpu_time_over_frames():
    # 50 fps using 0.5 of a core: 10 ms of CPU per frame
    assert cpu_ms_per_frame(_run(50.0, 0.5)) == 10.0


def test_render_pairs_reports_each_pair_and_the_median_ratio_per_clip():
    rows = [
        {
            "round": r + 1,
            "clip": "skier",
            "first": "ours" if r % 2 == 0 else "MediaPipe",
            "runs": {"ours": _run(ours, 1.0), "MediaPipe": _run(100.0, 1.0)},
            "load_1min": (2.0, 3.0),
        }
        for r, ours in enumerate((120.0, 140.0, 160.0))
    ]
    text = render_pairs("cmd", rows, ["note"])
    assert (
        "| round | clip | first | load 1 min | ours fps | MediaPipe fps | ours / MediaPipe |"
        in text
    )
    assert "| 1 | skier | ours | 2.0 -> 3.0 | 120.0 | 100.0 | 1.20x |" in text
    assert "| 2 | skier | MediaPipe |" in text
    assert "ours / MediaPipe throughput median **1.40x** (range 1.20-1.60, 3 pairs)" in text
    # CPU per frame: ours 1/140 s vs MediaPipe 1/100 s -> 1.40x frames per CPU second (median)
    assert "frames per CPU second median 1.40x" in text


def test_paired_rounds_alternates_the_order_and_keeps_the_runs_by_name():
    calls = []

    def runner(name, fps):
        def run(frames):
            calls.append(name)
            return _run(fps, 1.0)

        return run

    rows = paired_rounds({"clip": [None]}, 3, {"a": runner("a", 10.0), "b": runner("b", 5.0)})
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert [r["first"] for r in rows] == ["a", "b", "a"]
    assert all(r["runs"]["a"]["fps"] == 10.0 and r["runs"]["b"]["fps"] == 5.0 for r in rows)
    assert all(len(r["load_1min"]) == 2 for r in rows)


def _conv(name, inp, out):
    return helper.make_node("Conv", [inp, name + "_w"], [out], name=name)


def test_head_convs_walks_back_through_pass_through_ops_only():
    nodes = [
        _conv("trunk", "x", "t"),
        _conv("head_a", "t", "a"),
        helper.make_node("Transpose", ["a"], ["a_t"], name="tr", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["a_t", "shape"], ["out_a"], name="rs"),
        _conv("head_b", "t", "b"),
        helper.make_node("Sigmoid", ["b"], ["out_b"], name="sg"),
        helper.make_node("Add", ["t", "t"], ["out_c"], name="add"),  # not a pass-through op
    ]
    inits = [
        helper.make_tensor(n + "_w", TensorProto.FLOAT, [1, 1, 1, 1], [1.0])
        for n in ("trunk", "head_a", "head_b")
    ]
    inits.append(helper.make_tensor("shape", TensorProto.INT64, [2], [1, -1]))
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 1, 4, 4])
            for n in ("out_a", "out_b", "out_c")
        ],
        initializer=inits,
    )
    model = helper.make_model(graph)
    onnx.checker.check_model(model)
    assert sorted(head_convs(model)) == ["head_a", "head_b"]
