"""Tiny causal language models built offline, for tests and demos of the evaluation loop.

Nothing may be downloaded from the Hugging Face Hub here (DESIGN.md §7-8), yet the backend
must run the real lm-evaluation-harness on a real model. `build_tiny_model` writes one into a
folder in a second or so: a byte-level BPE tokenizer trained with `tokenizers` on the sample
tasks' text, a `LlamaForCausalLM` with random (seeded) weights saved as safetensors, and a
model card. Its answers are noise; its files have the shape of a real Hub model, so
inspection, evaluation and publication all run on it. Options break it on purpose for
failure tests (no license, no card, corrupt weights).

torch, transformers and tokenizers are imported inside the functions: importing this module
costs nothing, and the web UI never imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def build_tiny_model(
    target_dir: str | Path,
    *,
    seed: int = 0,
    name: str | None = None,
    hidden_size: int = 96,
    intermediate_size: int | None = None,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    vocab_size: int = 1024,
    max_positions: int = 512,
    dtype: str = "float32",
    license: str | None = "apache-2.0",
    card_text: str | None = None,
    model_card: bool = True,
    chat_template: bool = True,
    corrupt: bool = False,
) -> Path:
    """Write a tiny random-weight Llama model and its tokenizer into `target_dir`; return it.

    Deterministic: the same arguments give byte-identical files. The defaults give about
    380 K parameters (1.5 MB of float32 weights), which the harness evaluates on a CPU in
    seconds. `license=None` leaves the license out of the card, `model_card=False` writes no
    README.md, `chat_template=False` leaves the tokenizer without one, and `corrupt=True`
    replaces model.safetensors with a truncated file that no loader accepts.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(vocab_size=vocab_size, max_length=max_positions)
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    # transformers 5 writes a chat template to chat_template.jinja by default; the Hub and the
    # leaderboard's own check read it from tokenizer_config.json, so it goes there.
    tokenizer.save_pretrained(target, save_jinja_files=False)
    # transformers 5 records its own class name (TokenizersBackend); older transformers, vLLM
    # and Hub tools know this one, which transformers 5 loads as well.
    _rewrite_json(target / "tokenizer_config.json", tokenizer_class="PreTrainedTokenizerFast")

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 4 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    model = model.to(getattr(torch, dtype)).eval()
    model.save_pretrained(target)  # safetensors

    if corrupt:
        weights = target / "model.safetensors"
        # A header length that promises more bytes than the file holds: safetensors refuses it.
        weights.write_bytes(weights.read_bytes()[:40] + b"\x00 truncated on purpose")
    if model_card:
        params = sum(p.numel() for p in model.parameters())
        (target / "README.md").write_text(
            _model_card(name or target.name, license, card_text, params, seed), encoding="utf-8"
        )
    return target


def build_tokenizer(*, vocab_size: int = 1024, max_length: int = 512):
    """A byte-level BPE tokenizer trained on local text only, as a transformers tokenizer.

    Byte-level: any text encodes without unknown tokens. No BOS is added when encoding, like
    most causal LMs' tokenizers as lm-eval uses them.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(training_text(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        model_max_length=max_length,
        clean_up_tokenization_spaces=False,
    )


def training_text() -> Iterator[str]:
    """The tokenizer's corpus: the sample tasks' questions and choices, plus generated lines.

    A multiple-choice question's right answer is not marked: a tokenizer that saw right answers
    more often would encode them in fewer tokens, and a random model's length-normalized
    choice would then favour them.
    """
    from leaderboard.tasks import TASKS_DIR

    for path in sorted(TASKS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            yield f"Question: {record['question']}\nAnswer:"
            for choice in record.get("choices") or [record["answer"]]:
                yield f" {choice}\n"
    for number in range(200):
        yield f"Question: Write the number {number} as a word.\nAnswer: {number_word(number)}\n"
    for a in range(13):
        for b in range(13):
            yield f"{a} plus {b} is {a + b}. {a} times {b} is {a * b}.\n"
            if a >= b:
                yield f"{a} minus {b} is {a - b}.\n"


def number_word(number: int) -> str:
    """English words for 0-999: `42` -> `forty two`."""
    if number < 20:
        return UNITS[number]
    if number < 100:
        tens, unit = divmod(number, 10)
        return TENS[tens - 2] + (f" {UNITS[unit]}" if unit else "")
    hundreds, rest = divmod(number, 100)
    return f"{UNITS[hundreds]} hundred" + (f" and {number_word(rest)}" if rest else "")


def _rewrite_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _model_card(name: str, license: str | None, text: str | None, params: int, seed: int) -> str:
    front = ["---"]
    if license:
        front.append(f"license: {license}")
    front += [
        "library_name: transformers",
        "pipeline_tag: text-generation",
        "tags:",
        "- tiny",
        "- random-weights",
        "- leaderboard-test",
        "---",
    ]
    body = text or (
        f"This is a tiny causal language model ({params:,} parameters, Llama architecture) "
        f"with random weights drawn from seed {seed}. It was built offline by "
        "`leaderboard.demo_model.build_tiny_model` so that the leaderboard's evaluation loop "
        "can run the real lm-evaluation-harness without downloading anything. Its tokenizer is "
        "a byte-level BPE trained on the sample tasks' own questions. Its answers are noise: "
        "do not use it for anything but tests and demos."
    )
    return "\n".join(front) + f"\n\n# {name}\n\n{body}\n"
