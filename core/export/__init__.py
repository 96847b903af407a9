"""Exports and conversions, one job per module:

- hf_export.py        our GPT -> Hugging Face GPT2LMHeadModel folder (hf_tokenizer.py: its tokenizer)
- gguf_export.py      any checkpoint -> GGUF: a GPT as llama.cpp "gpt2" (gguf_gpt2.py, gguf_vocab.py),
                      the rest as "textgen.<arch>" (gguf_custom.py); gguf_tensors.py: quantization rules
- gguf_reader.py      our GGUF files back into PyTorch checkpoints (dequantized)
- dynamic_int8.py     PyTorch dynamic int8 quantization, kept as a metadata marker
- int8_report.py      what int8 costs and gains: speed and perplexity, before and after
- quality.py          perplexity and top-1 agreement, for PyTorch and llama.cpp alike
- source.py           load whatever a user names as the model to export
- gguf_metadata.py    the textgen.* keys every GGUF we write carries; atomic.py: write-then-rename

Nothing here is imported by `textgen.core`; torch, transformers, gguf and
llama_cpp load only when an export runs.
"""
