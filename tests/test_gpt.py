"""course_lib.gpt: the tiny GPT's shapes, causality, KV cache, sampling and FLOP count."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.gpt import (
    GPT,
    CharTokenizer,
    GPTConfig,
    batches,
    count_parameters,
    forward_flops,
    generate,
    mean_loss,
    unigram_loss,
)


def _model(**kw):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=11, context=32, d_model=16, n_heads=2, n_layers=2, **kw))


def test_char_tokenizer_round_trips_and_refuses_unknown_characters():
    tok = CharTokenizer("hello world")
    assert tok.vocab_size == 8 and tok.decode(tok.encode("low hello")) == "low hello"
    with pytest.raises(CourseInputError, match="not in the vocabulary"):
        tok.encode("hello!")


def test_logits_shape_and_no_peeking_at_later_tokens():
    model = _model().eval()
    ids = torch.randint(0, 11, (2, 10))
    logits, cache = model(ids)
    assert logits.shape == (2, 10, 11) and len(cache) == 2 and cache[0][0].shape == (2, 2, 10, 8)
    changed = ids.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % 11
    logits2, _ = model(changed)
    assert torch.allclose(logits[:, :6], logits2[:, :6], atol=1e-6)  # causal: the past is unaffected
    assert not torch.allclose(logits[:, 6:], logits2[:, 6:])


def test_the_kv_cache_gives_the_same_logits_as_the_whole_sequence():
    model = _model().eval()
    ids = torch.randint(0, 11, (1, 12))
    full, _ = model(ids)
    first, cache = model(ids[:, :8])
    step, cache = model(ids[:, 8:9], cache, start=8)
    assert torch.allclose(full[:, 8], step[:, 0], atol=1e-5)
    assert torch.allclose(full[:, :8], first, atol=1e-6)


def test_generation_with_and_without_cache_is_the_same():
    model = _model()
    a = generate(model, [1, 2, 3], 20, greedy=True, use_cache=True)
    b = generate(model, [1, 2, 3], 20, greedy=True, use_cache=False)
    assert a == b and len(a) == 23
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    s1 = generate(model, [1], 25, temperature=0.9, top_k=4, generator=g1)
    s2 = generate(model, [1], 25, temperature=0.9, top_k=4, generator=g2, use_cache=False)
    assert s1 == s2


def test_top_k_one_is_greedy():
    model = _model()
    assert generate(model, [4], 10, top_k=1, generator=torch.Generator().manual_seed(1)) == \
        generate(model, [4], 10, greedy=True)


@pytest.mark.parametrize("temperature", [1e-30, 1e-300, 5e-324])
def test_a_vanishing_temperature_is_greedy_not_nan(temperature):
    model = _model()  # dividing raw logits by 5e-324 overflows to inf, and softmax then gives nan
    assert generate(model, [4], 10, temperature=temperature, generator=torch.Generator().manual_seed(1)) \
        == generate(model, [4], 10, greedy=True)


@pytest.mark.parametrize("kwargs, match", [({"steps": 40}, "context"), ({"steps": 0}, "steps"),
                                           ({"steps": 3, "temperature": 0}, "temperature"),
                                           ({"steps": 3, "top_k": 0}, "top_k")])
def test_generate_refuses_bad_arguments(kwargs, match):
    with pytest.raises(CourseInputError, match=match):
        generate(_model(), [1, 2], **kwargs)


def test_config_refuses_heads_that_do_not_divide_the_width():
    with pytest.raises(CourseInputError, match="n_heads"):
        GPTConfig(vocab_size=5, d_model=10, n_heads=3)
    with pytest.raises(CourseInputError, match="context"):
        GPTConfig(vocab_size=5, context=True)


def test_training_beats_the_unigram_baseline_on_a_repetitive_text():
    text = "the cat sat on the mat. " * 60
    tok = CharTokenizer(text)
    data = torch.tensor(tok.encode(text))
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, context=16, d_model=32, n_heads=2, n_layers=1))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(150):
        model.train()
        x, y = batches(data, 16, 16, gen)
        loss = model.loss(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert mean_loss(model, data, 16) < 0.5 * unigram_loss(data, data, tok.vocab_size)


def test_forward_flops_matches_a_hand_count_and_the_6nt_rule_roughly():
    cfg = GPTConfig(vocab_size=100, context=64, d_model=32, n_heads=4, n_layers=2)
    d, t = 32, 64
    hand = 2 * (2 * t * d * 3 * d + 4 * t * t * d + 2 * t * d * d + 16 * t * d * d) + 2 * t * d * 100
    assert forward_flops(cfg, 64) == hand
    non_embedding = count_parameters(GPT(cfg)) - 100 * 32 - 64 * 32
    ratio = 3 * forward_flops(cfg, 64) / (6 * non_embedding * 64)
    assert 0.9 < ratio < 1.6  # attention's t² term and biases make the rule inexact at this size


def test_decode_refuses_ids_outside_the_vocabulary():
    tok = CharTokenizer("abc")
    assert tok.decode([0, 2]) == tok.decode(torch.tensor([0, 2])) == "ac"
    with pytest.raises(CourseInputError, match="ids: expected token ids from 0 to 2"):
        tok.decode([-1])  # used to decode as the last character, silently
    with pytest.raises(CourseInputError, match="ids: expected token ids from 0 to 2"):
        tok.decode([1.7])  # used to decode as id 1


def test_a_cache_with_the_wrong_start_is_refused():
    """start must follow the cached positions: start=6 after 4 cached tokens gave wrong logits silently."""
    model = _model().eval()
    ids = torch.randint(0, 11, (1, 5))
    _, cache = model(ids[:, :4])
    with pytest.raises(CourseInputError, match="start: expected 4, the number of positions the cache holds"):
        model(ids[:, 4:], cache, start=6)
    with pytest.raises(CourseInputError, match=r"ids: expected values from 0 to 10 \(token ids\)"):
        model(ids + 11)


def test_unigram_loss_refuses_ids_the_vocabulary_does_not_have():
    with pytest.raises(CourseInputError, match="train: expected values from 0 to 4"):
        unigram_loss(torch.tensor([0, 1, 7]), torch.tensor([0, 1]), 5)  # counts grew to 8 symbols silently
    with pytest.raises(CourseInputError, match="held_out: expected values from 0 to 4"):
        unigram_loss(torch.tensor([0, 1]), torch.tensor([-1]), 5)  # logp[-1]: the last symbol, silently
    with pytest.raises(CourseInputError, match="held_out: expected at least one token id"):
        unigram_loss(torch.tensor([0, 1]), torch.tensor([], dtype=torch.long), 5)  # was nan


def test_mean_loss_and_generate_put_the_model_back_in_its_mode():
    model = _model().train()
    data = torch.randint(0, 11, (200,))
    mean_loss(model, data, 16)
    generate(model, [1], 3, greedy=True)
    assert model.training
    with pytest.raises(CourseInputError, match="context: expected an int from 1 to 32"):
        mean_loss(model, data, 40)


@pytest.mark.parametrize("kwargs, match", [
    ({"greedy": "no"}, "greedy: expected True or False"),
    ({"use_cache": 0}, "use_cache: expected True or False"),
    ({"temperature": float("inf")}, "temperature: expected a finite"),
    ({"generator": 1}, "generator: expected None or a torch.Generator"),
])
def test_generate_refuses_flags_and_numbers_that_would_be_misread(kwargs, match):
    with pytest.raises(CourseInputError, match=match):
        generate(_model(), [1, 2], 3, **kwargs)


def test_the_gpt_exports_to_onnx_despite_its_input_checks(tmp_path):
    """Lesson 13 exports the model; the id-range check must not break torch.export."""
    from course_lib.onnx_tools import export_onnx

    class Logits(torch.nn.Module):
        def __init__(self, gpt):
            super().__init__()
            self.gpt = gpt

        def forward(self, ids):
            return self.gpt(ids)[0]

    model = _model().eval()
    ids = torch.randint(0, 11, (1, 8), generator=torch.Generator().manual_seed(0))
    path = export_onnx(Logits(model), ids, tmp_path, name="gpt.onnx")
    assert path.stat().st_size > 1000
    with pytest.raises(CourseInputError, match="token ids"):
        model(torch.full((1, 4), 11))  # eager calls still check the ids


def test_grouped_query_attention_shrinks_the_cache_and_equals_the_plain_model_with_groups_of_one():
    from course_lib.gpt import cache_bytes

    plain = _model().eval()
    ids = torch.randint(0, 11, (2, 9), generator=torch.Generator().manual_seed(3))
    same = GPT(GPTConfig(vocab_size=11, context=32, d_model=16, n_heads=2, n_layers=2, n_kv_heads=2)).eval()
    same.load_state_dict(plain.state_dict())
    assert torch.equal(same(ids)[0], plain(ids)[0])
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=11, context=32, d_model=16, n_heads=4, n_layers=2, n_kv_heads=1)
    gqa = GPT(cfg).eval()
    full, cache = gqa(ids)
    assert cache[0][0].shape == (2, 1, 9, 4)
    assert cache_bytes(cache) * 4 == cache_bytes(GPT(GPTConfig(vocab_size=11, context=32, d_model=16,
                                                                n_heads=4, n_layers=2)).eval()(ids)[1])
    first, cache = gqa(ids[:, :6])
    step, _ = gqa(ids[:, 6:], cache, start=6)  # three new tokens after a cache: causal among themselves
    assert torch.allclose(full[:, 6:], step, atol=1e-5)
    a = generate(gqa, [1, 2], 12, greedy=True, use_cache=True)
    assert a == generate(gqa, [1, 2], 12, greedy=True, use_cache=False)
    with pytest.raises(CourseInputError, match="n_kv_heads: must divide n_heads=4"):
        GPTConfig(vocab_size=5, d_model=16, n_heads=4, n_kv_heads=3)


def test_sampling_probs_applies_temperature_then_top_k():
    from course_lib.gpt import sampling_probs

    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.0, 3.0, 1.0, 2.0]])
    p = sampling_probs(logits, temperature=0.5, top_k=2)
    assert torch.allclose(p.sum(-1), torch.ones(2))
    assert torch.allclose(p[0], torch.softmax(torch.tensor([4.0, 2.0, -math.inf, -math.inf]), 0))
    assert torch.allclose(sampling_probs(logits[0]), torch.softmax(logits[0], 0))
    with pytest.raises(CourseInputError, match="temperature"):
        sampling_probs(logits, temperature=0)
    with pytest.raises(CourseInputError, match="logits"):
        sampling_probs(torch.tensor([1, 2]))


def test_the_shipped_checkpoint_loads_and_beats_the_unigram_baseline():
    from course_lib.data import data_path
    from course_lib.gpt import load_pretrained

    model, chars, info = load_pretrained()
    assert model.cfg.context == 128 and chars.vocab_size == model.cfg.vocab_size == 89
    assert data_path("gpt/char_gpt.pt").stat().st_size < 8e6 and info["made_by"] == "scripts/train_gpt.py"
    text = data_path("corpus/lessons.txt").read_text(encoding="ascii")
    data = torch.tensor(chars.encode(text))
    split = int(0.9 * len(data))
    held_out = mean_loss(model, data[split:], 128, max_windows=20)
    assert held_out < unigram_loss(data[:split], data[split:], 89) - 1.0
