"""Fast checks of the training dataset: prompts are the engine's, dedup, and the split."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import get_args

import pytest

from kiosk.campus.knowledge import KnowledgeBase
from kiosk.config import QuestionKind, load_config
from kiosk.dialog.engine import DialogEngine
from kiosk.dialog.prompt import END, build_prompt
from kiosk.train import dataset, metrics, phrasings
from kiosk.train.config import DatasetConfig, load_train_config

PLACES = ["102", "105", "501", "306", "107", "508", "206"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="module")
def built(kb: KnowledgeBase) -> tuple[list[dataset.Row], list[dataset.Row], dict[str, object]]:
    return dataset.build(DatasetConfig(places=PLACES, holdout_place_share=0.3), kb)


class Capture:
    """An independent stand-in LLM: records the prompt the engine sends."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def stream(self, prompt: str, stop: list[str], max_tokens: int | None = None,
               deadline_s: float | None = None, yield_to: object = None) -> Iterator[str]:
        self.prompts.append(prompt)
        return iter(())


def test_prompts_are_what_the_engine_sends_with_few_shot_0(built, kb) -> None:
    train, val, _ = built
    config = load_config()
    config = config.model_copy(update={"llm": config.llm.model_copy(update={
        "few_shot": 0, "phrased_kinds": list(get_args(QuestionKind))})})
    capture = Capture()
    engine = DialogEngine(config, kb=kb, llm=capture)  # type: ignore[arg-type]
    rows = train[::40] + val[::40] + [r for r in train + val if r.kind == "followup"][:6]
    assert any(r.kind == "followup" for r in rows)
    for i, row in enumerate(rows):
        session = f"s{i}"
        if row.context:
            engine.answer(row.context, session)
        capture.prompts.clear()
        engine.answer(row.question, session)
        assert capture.prompts == [row.prompt], row.question
        assert row.prompt == build_prompt(row.facts, row.question)
        assert row.completion == row.answer + END


def test_followups_use_a_pronoun_and_the_place_of_the_earlier_turn(built) -> None:
    train, val, _ = built
    followups = [r for r in train + val if r.kind == "followup"]
    assert followups
    for row in followups:
        assert row.context and row.place in PLACES
        names = [row.place]  # the question itself names no place: the facts come from history
        assert not any(n in row.question for n in names)


def test_every_kind_and_both_languages_are_covered(built) -> None:
    train, val, stats = built
    assert {r.intent for r in train} == {i.value for i in dataset.PLACE_INTENTS}
    assert {r.lang for r in train} == {"ko", "en"}
    assert stats["train"] == len(train) and stats["val"] == len(val)
    assert "refusals" in stats


def test_deduplicate_keeps_one_row_per_prompt_and_answer(built) -> None:
    train, _, _ = built
    row = train[0]
    rows = [row, replace(row, template="other"), train[1]]
    assert dataset.deduplicate(rows) == [row, train[1]]
    all_ids = [r.id for r in built[0] + built[1]]
    assert len(all_ids) == len(set(all_ids))


def test_split_holds_out_whole_templates_and_whole_places(built) -> None:
    train, val, stats = built
    held_templates = set(stats["val_templates"])
    held_places = set(stats["val_places"])
    assert held_templates and held_places
    assert not {r.template for r in train} & held_templates
    assert not {r.place for r in train} & held_places
    for row in val:
        assert row.template in held_templates or row.place in held_places
        assert row.holdout in ("template", "place", "both")
    # every language/kind group keeps some templates for training
    groups = {r.template.rsplit(".", 1)[0] for r in train if r.kind == "single"}
    assert len(groups) == 16


def test_korean_templates_take_the_right_particle() -> None:
    assert phrasings.fill("{n_eun} 어디예요?", "본관") == "본관은 어디예요?"
    assert phrasings.fill("{n_eun} 어디예요?", "한양플라자") == "한양플라자는 어디예요?"
    assert phrasings.fill("{n_euro} 가요", "본관") == "본관으로 가요"
    assert len(phrasings.template_ids()) == len(set(phrasings.template_ids()))


def test_metrics_behave() -> None:
    assert metrics.chrf(["같은 문장"], ["같은 문장"]) == pytest.approx(100)
    assert metrics.bleu(["the main building is number 102 ."],
                        ["the main building is number 102 ."]) == pytest.approx(100)
    assert metrics.bleu(["x"], ["the main building"]) == 0
    assert 0 < metrics.chrf(["Main Building 102"], ["The Main Building is 102"]) < 100
    assert metrics.repeats("go up the hill and go up the hill")
    assert not metrics.repeats("go up the hill and turn left")


def test_presets_validate_and_bad_keys_fail() -> None:
    from kiosk.errors import ConfigError

    assert load_train_config("cpu-270m").finetune.target_modules == [
        "q_proj", "k_proj", "v_proj", "o_proj"]
    assert load_train_config("tiny").finetune.r == 4
    with pytest.raises(ConfigError):
        load_train_config("tiny", overrides={"finetune": {"lr": 5}})
    with pytest.raises(ConfigError):
        load_train_config("nope")
