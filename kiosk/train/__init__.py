"""`kiosk train`: campus QA dataset, LoRA finetuning, LoRA GGUF export and evaluation.

Stages: dataset.py (questions put through the kiosk's own engine), finetune.py (peft LoRA,
answer-only loss), export.py (llama.cpp's LoRA converter), evaluate.py + report.py (base vs
trained), pipeline.py (order, resume markers, the CLI). Settings: config.py (pydantic, presets).
"""
