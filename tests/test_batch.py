import doctest
import json
from pathlib import Path

import pytest

import prefect_kling.flows.batch_items as batch_module
from prefect_kling.client import prepare_create
from prefect_kling.downloads import SavedFile
from prefect_kling.exceptions import KlingTaskFailed, KlingValidationError
from prefect_kling.flows.batch_items import BatchItem, BatchOutcome, BatchReport, load_batch
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.providers import Provider


def test_the_module_examples_run():
    assert doctest.testmod(batch_module, optionflags=doctest.ELLIPSIS).failed == 0


def test_items_from_a_list_flat_nested_or_ready_made():
    items = load_batch(
        [
            {"prompt": "a fox", "duration": "5", "name": "fox"},
            {"endpoint": "image2video", "request": {"image": "https://x/a.png"}},
            BatchItem(request={"prompt": "an owl"}, idempotency_key="take-2"),
        ]
    )
    assert [(i.endpoint, i.label, i.position) for i in items] == [
        ("text2video", "fox", 1),
        ("image2video", "item-2", 2),
        ("text2video", "item-3", 3),
    ]
    assert items[0].request == {"prompt": "a fox", "duration": "5"}
    assert items[2].idempotency_key == "take-2"


def test_items_from_a_csv_file_leave_empty_cells_out(tmp_path: Path):
    source = tmp_path / "batch.csv"
    source.write_text(
        "name,endpoint,prompt,duration,cfg_scale,idempotency_key\n"
        "fox,,A fox in snow,5,0.5,\n"
        ",text2video,An owl,10,,take-2\n",
        encoding="utf-8",
    )
    fox, owl = load_batch(str(source))
    assert (fox.label, fox.endpoint, fox.idempotency_key) == ("fox", "text2video", None)
    assert fox.request == {"prompt": "A fox in snow", "duration": "5", "cfg_scale": "0.5"}
    assert (owl.label, owl.idempotency_key) == ("item-2", "take-2")
    assert owl.request == {"prompt": "An owl", "duration": "10"}
    # CSV cells are text; the request models read numbers from it.
    prepared = prepare_create(fox.endpoint, fox.request, Provider.KLING)
    assert prepared.payload["cfg_scale"] == 0.5


def test_items_from_a_json_lines_file(tmp_path: Path):
    source = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"prompt": "a fox", "name": "fox"}),
        "",
        json.dumps({"endpoint": "multi-image2image", "request": {"n": 2, "prompt": "p"}}),
    ]
    source.write_text("\n".join(lines), encoding="utf-8")
    fox, images = load_batch(source)
    assert fox.request == {"prompt": "a fox"} and fox.label == "fox"
    assert images.endpoint == "multi-image2image"
    assert images.request == {"n": 2, "prompt": "p"}
    assert images.position == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"prompt": "a"}\n{"prompt": ', "bad.jsonl line 2: not JSON"),
        ("items.txt", "prompt\na\n", "allowed: a .csv, .jsonl, .ndjson or .json file"),
        ("empty.jsonl", '{"name": "only a name"}\n', "items[1]: no request fields"),
        ("list.jsonl", '{"prompt": "a"}\n["b"]\n', "list.jsonl line 2: a JSON list; allowed"),
        ("nested.jsonl", '{"request": "a fox"}\n', "items[1].request: a str; allowed: a dict"),
    ],
)
def test_unreadable_batches_are_refused_with_the_place(
    tmp_path: Path, name: str, content: str, message: str
):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    with pytest.raises(KlingValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_batch(source)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    source = tmp_path / "latin.csv"
    source.write_bytes("prompt\nUn caf\u00e9 la nuit\n".encode("latin-1"))
    with pytest.raises(KlingValidationError, match=r"latin.csv is not UTF-8 text \(byte 13\)"):
        load_batch(source)


def test_items_that_are_not_mappings_are_refused():
    with pytest.raises(KlingValidationError, match=r"items\[2\]: a str; allowed: a dict"):
        load_batch([{"prompt": "a fox"}, "an owl"])


def test_a_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(KlingValidationError, match="is not a file"):
        load_batch(tmp_path / "nowhere.csv")


def _saved(name: str) -> SavedFile:
    return SavedFile(
        path=f"out/{name}", bytes=5, sha256="ab", url="https://x", kind="video", index=0
    )


def test_outcomes_make_the_rows_and_the_summary():
    reference = TaskReference(task_id="86", endpoint="text2video", provider="kling")
    task = KlingTask(task_id="86", task_status="failed", task_status_msg="risk control")
    base = BatchOutcome(name="fox", endpoint="text2video")
    outcomes = [
        base.created(reference).succeeded(1.0, [_saved("text2video-86-0.mp4")]),
        base.created(reference).ended("failed", KlingTaskFailed(task, reference), units=0.0),
        BatchOutcome(name="owl", endpoint="text2video").ended(
            "refused", KlingValidationError.single("mode", "'turbo' is not allowed")
        ),
    ]
    report = BatchReport(outcomes=outcomes, units=1.0)
    rows = report.table_rows()
    assert rows[0] == {
        "item": "fox",
        "endpoint": "text2video",
        "status": "succeeded",
        "error": "",
        "task_id": "86",
        "units": "1",
        "files": "out/text2video-86-0.mp4 (sha256 ab)",
    }
    assert list(rows[0]) == ["item", "endpoint", "status", "error", "task_id", "units", "files"]
    assert rows[1]["error"] == "Kling failed the task: risk control"
    assert rows[2]["task_id"] == "" and rows[2]["units"] == ""
    assert "mode" in rows[2]["error"]
    assert report.counts == {"succeeded": 1, "failed": 1, "refused": 1}
    assert not report.all_succeeded
    assert report.describe() == "Kling batch of 3: 1 failed, 1 refused, 1 succeeded; 1 unit charged"
