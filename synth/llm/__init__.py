"""Generative model plumbing, the one boundary to LangChain's chat classes and the OpenAI client.

    model.py       ChatModel (messages in; text, usage, finish reason out), ChatReply, Attempt
    chat.py        LangChainChatModel, open_chat_model(settings), build_chat_model, UsageCounter
    structured.py  StructuredOutput: render a versioned prompt, call, parse, re-ask, StructuredOutputError
    fake.py        FakeChatModel for tests (enqueue replies, keeps every call)
    chains.py      model_name, escaped_json, data_json, pack (no LangChain)
    embeddings.py  the OpenAI-compatible embedder's client
    model_files.py, serve.py, cli.py   the local model file, the llama.cpp server, `synth llm`

Nothing is imported here: `synth.llm.chat` pulls in LangChain, `synth.llm.serve` only the standard library
and httpx, so the CLI stays fast.
"""
