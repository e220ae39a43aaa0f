#!/usr/bin/env python3
"""Write a T5 reference dump for `deno task parity`, for any Hugging Face T5 checkpoint.

Needs PyTorch, transformers and safetensors (`pip install torch transformers safetensors`); it cannot run in this
project's CI, which has no PyTorch.

    python3 scripts/make_reference.py google/t5-v1_1-small --out refs/t5-v1_1-small
    python3 scripts/make_reference.py path/to/checkpoint_dir            # writes into that folder
    deno task parity refs/t5-v1_1-small

CHECKPOINT is a hub name or a local folder (config.json plus model.safetensors, sharded safetensors or
pytorch_model.bin). The model is loaded in float32, in eval mode (dropout off), on the CPU unless --device says
otherwise (TF32 is switched off on CUDA). Into --out (default: the checkpoint folder when it is local, else
./reference-<name>) it writes, in exactly the format of the fixtures in ../shared/fixtures (see their README.md):

- reference_io.safetensors: input_ids I64 [B,S], attention_mask I64 [B,S], labels I64 [B,T] (-100 = ignored),
  logits F32 [B,T,V], encoder_last_hidden_state F32 [B,S,d], loss F32 [1] (mean token cross-entropy over labels that
  are not -100; the decoder reads the labels shifted right, starting with decoder_start_token_id, -100 replaced by
  the pad id), greedy_ids I64 (greedy generate, at most 12 new tokens, as the parity task
  runs it, starting with the decoder start id) and beam4_ids I64 (4 beams, early stopping, length penalty 1);
- reference_grads.safetensors: d loss / d parameter, F32, for every parameter (tied weights once, under the name
  named_parameters() gives them, e.g. shared.weight), keyed by checkpoint name;
- reference.json: the loss, the logit-scaling rule that applied, whether lm_head is tied, library versions, the
  checkpoint and the settings used;
- config.json and model.safetensors (save_pretrained, float32) when --out is not the checkpoint folder, so that
  the folder is complete for `deno task parity <out>`.

Inputs are seeded random token ids in [3, vocab_size) (pad 0, EOS 1 and unk 2 avoided), B=2 rows of S=40 source
tokens (row 1 padded after 60% of them, so masks matter) and T=9 labels (row 1's last labels -100), as in the
fixtures; --text gives real sentences instead (tokenized with the checkpoint's tokenizer, padded to the longest).
Generation uses a fresh GenerationConfig (the checkpoint's generation_config.json is ignored) so that only the
settings above apply, as `deno task parity` expects.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

# `deno task parity` generates at most this many new tokens (greedy and 4 beams)
MAX_NEW_TOKENS = 12

def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="make_reference.py",
        description="Write reference_io.safetensors / reference_grads.safetensors for `deno task parity`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2] if __doc__ else None,
    )
    p.add_argument("checkpoint", help="Hugging Face hub name or local checkpoint folder")
    p.add_argument("--out", help="output folder (default: the checkpoint folder if local, else ./reference-<name>)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--batch", type=int, default=2, help="rows B (default 2; row 1 is padded when B > 1)")
    p.add_argument("--source-len", type=int, default=40, help="source tokens S (default 40)")
    p.add_argument("--target-len", type=int, default=9, help="label tokens T (default 9)")
    p.add_argument("--text", action="append", help="a source sentence (repeat for more rows) instead of random ids")
    p.add_argument("--target-text", action="append", help="a target sentence per --text row (default: random ids)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--no-grads", action="store_true", help="skip reference_grads.safetensors")
    p.add_argument("--revision", help="hub revision (branch, tag or commit)")
    args = p.parse_args(argv)
    for name in ("batch", "source_len", "target_len"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be ≥ 1")
    if args.target_text and (not args.text or len(args.target_text) != len(args.text)):
        p.error("--target-text needs one sentence per --text sentence")
    return args


def import_libraries():
    missing = []
    try:
        import torch
    except ImportError:
        missing.append("torch")
        torch = None
    try:
        import transformers
    except ImportError:
        missing.append("transformers")
        transformers = None
    try:
        import safetensors.torch  # noqa: F401
    except ImportError:
        missing.append("safetensors")
    if missing:
        sys.exit(
            "make_reference.py needs PyTorch, transformers and safetensors; missing: "
            + ", ".join(missing)
            + ". Install them with `pip install torch transformers safetensors` and run it again."
        )
    return torch, transformers


def default_out(checkpoint: str) -> str:
    if os.path.isdir(checkpoint):
        return checkpoint
    return "reference-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", checkpoint)


def random_batch(torch, args, config):
    """Seeded random ids in [3, vocab); row 1 padded (source) and cut short with -100 (labels)."""
    gen = torch.Generator().manual_seed(args.seed)
    B, S, T = args.batch, args.source_len, args.target_len
    vocab = config.vocab_size
    if vocab <= 3:
        sys.exit(f"make_reference.py: vocab_size {vocab} leaves no ordinary token ids (0-2 are pad, EOS, unk)")
    ids = torch.randint(3, vocab, (B, S), generator=gen, dtype=torch.long)
    mask = torch.ones(B, S, dtype=torch.long)
    labels = torch.randint(3, vocab, (B, T), generator=gen, dtype=torch.long)
    if B > 1:
        keep = max(1, int(S * 0.6))
        ids[1, keep:] = config.pad_token_id
        mask[1, keep:] = 0
        labels[1, max(1, T // 2):] = -100
    return ids, mask, labels


def text_batch(torch, args, checkpoint):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(checkpoint, revision=args.revision)
    enc = tok(args.text, padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"].long(), enc["attention_mask"].long()
    if args.target_text:
        lab = tok(args.target_text, padding=True, return_tensors="pt")
        labels = lab["input_ids"].long().masked_fill(lab["attention_mask"] == 0, -100)
    else:
        gen = torch.Generator().manual_seed(args.seed)
        labels = torch.randint(3, len(tok), (len(args.text), args.target_len), generator=gen, dtype=torch.long)
    return ids, mask, labels


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    torch, transformers = import_libraries()
    from safetensors.torch import save_file
    from transformers import GenerationConfig, T5ForConditionalGeneration

    torch.manual_seed(args.seed)
    if args.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    out = args.out or default_out(args.checkpoint)
    os.makedirs(out, exist_ok=True)

    kwargs = {"revision": args.revision} if args.revision else {}
    try:
        model = T5ForConditionalGeneration.from_pretrained(args.checkpoint, dtype=torch.float32, **kwargs)
    except TypeError:  # transformers < 4.56 spells it torch_dtype
        model = T5ForConditionalGeneration.from_pretrained(args.checkpoint, torch_dtype=torch.float32, **kwargs)
    model = model.float().to(args.device).eval()
    config = model.config

    if args.text:
        ids, mask, labels = text_batch(torch, args, args.checkpoint)
    else:
        ids, mask, labels = random_batch(torch, args, config)
    dev = torch.device(args.device)
    ids_d, mask_d, labels_d = ids.to(dev), mask.to(dev), labels.to(dev)

    # forward + backward in eval mode: logits, encoder output, loss and every parameter's gradient
    model.zero_grad(set_to_none=True)
    out_fw = model(input_ids=ids_d, attention_mask=mask_d, labels=labels_d)
    loss = out_fw.loss
    grads = {}
    if not args.no_grads:
        loss.backward()
        for name, p in model.named_parameters():
            if p.grad is None:
                print(f"make_reference.py: warning: no gradient for {name} (not used by the forward)", file=sys.stderr)
                continue
            grads[name] = p.grad.detach().float().cpu().contiguous()

    start = config.decoder_start_token_id if config.decoder_start_token_id is not None else config.pad_token_id
    base = dict(
        max_new_tokens=MAX_NEW_TOKENS,
        do_sample=False,
        decoder_start_token_id=start,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    with torch.no_grad():
        greedy = model.generate(
            input_ids=ids_d, attention_mask=mask_d, generation_config=GenerationConfig(num_beams=1, **base)
        )
        beam4 = model.generate(
            input_ids=ids_d,
            attention_mask=mask_d,
            generation_config=GenerationConfig(num_beams=4, early_stopping=True, length_penalty=1.0, **base),
        )

    io = {
        "input_ids": ids.long().contiguous(),
        "attention_mask": mask.long().contiguous(),
        "labels": labels.long().contiguous(),
        "logits": out_fw.logits.detach().float().cpu().contiguous(),
        "encoder_last_hidden_state": out_fw.encoder_last_hidden_state.detach().float().cpu().contiguous(),
        "loss": loss.detach().float().cpu().reshape(1).contiguous(),
        "greedy_ids": greedy.long().cpu().contiguous(),
        "beam4_ids": beam4.long().cpu().contiguous(),
    }
    save_file(io, os.path.join(out, "reference_io.safetensors"))
    if grads:
        save_file(grads, os.path.join(out, "reference_grads.safetensors"))

    scale_key = getattr(config, "scale_decoder_outputs", None)
    tied = bool(getattr(config, "tie_word_embeddings", True))
    info = {
        "loss": float(loss.item()),
        "logits_scaled_by_d_model_rsqrt": bool(scale_key) if scale_key is not None else tied,
        "lm_head_tied": tied,
        "checkpoint": args.checkpoint,
        "revision": args.revision,
        "seed": args.seed,
        "inputs": "text" if args.text else "random ids",
        "max_new_tokens": MAX_NEW_TOKENS,
        "note": "eval mode; loss is mean token cross-entropy over labels != -100; grads are d loss / d param",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")

    if os.path.abspath(out) != os.path.abspath(args.checkpoint):
        # the parity task loads the model from the same folder
        model.save_pretrained(out, safe_serialization=True)

    print(
        f"wrote {out}: loss {info['loss']:.6f}, {len(grads)} gradients, greedy {tuple(greedy.shape)}, "
        f"beam4 {tuple(beam4.shape)}; check with: deno task parity {out}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
