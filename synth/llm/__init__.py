"""Generative model plumbing: the chat-model factory (`chat`), the local model file (`model_files`), the
llama.cpp server (`serve`) and the `synth llm` commands (`cli`).

Nothing is imported here: `synth.llm.chat` pulls in LangChain, `synth.llm.serve` only the standard library
and httpx, so the CLI stays fast.
"""
