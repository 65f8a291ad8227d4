"""The agent bundle: it builds from the pinned sources, loads into a real process under
Frida 17 and answers its RPCs without touching Java where there is none."""

import time

import frida
import pytest

from hooks import agent_build, hook_table


@pytest.fixture(scope="module")
def bundle():
    return agent_build.build_agent()


@pytest.fixture
def agent(bundle):
    """The agent in a throwaway `sleep`, loaded while it is still suspended, as the runner does."""
    device = frida.get_local_device()
    pid = device.spawn(["/bin/sleep", "30"])
    try:
        session = device.attach(pid)
        messages = []
        script = session.create_script(bundle, name="piiaudit-agent")
        script.on("message", lambda message, data: messages.append(message))
        script.load()
        device.resume(pid)
        yield script, messages
        session.detach()
    finally:
        device.kill(pid)


def test_build_is_cached_and_deterministic(bundle):
    t0 = time.perf_counter()
    again = agent_build.build_agent()
    cached_s = time.perf_counter() - t0
    assert again == bundle and cached_s < 0.5
    assert agent_build.DIST.read_text("utf-8") == bundle
    assert agent_build.build_agent(force=True) == bundle
    assert "frida-java-bridge" in bundle or "JNI_GetCreatedJavaVMs" in bundle


def test_ping_answers_from_a_process_without_java(agent):
    script, messages = agent
    info = script.exports_sync.ping()
    assert info["protocol"] == 1
    assert info["frida"] == frida.__version__
    assert info["java_vm"] is False and info["phase"] == "loaded"
    now = script.exports_sync.now()
    assert abs(now / 1000 - time.time()) < 5
    assert not [m for m in messages if m["type"] == "error"]


def test_every_describer_named_in_the_hook_table_exists_in_the_agent(agent):
    script, _ = agent
    known = set(script.exports_sync.ping()["describers"])
    named = {row["describe"] for row in hook_table.load()}
    assert named <= known, f"hook table names describers the agent lacks: {sorted(named - known)}"


def test_init_without_a_java_vm_waits_for_one_and_reports_stats(agent):
    script, messages = agent
    result = script.exports_sync.init({"hooks": hook_table.load()})
    assert result["phase"] == "waiting-for-vm"
    assert "exit" in result["exit_hooks"]
    stats = script.exports_sync.stats()
    assert stats["phase"] == "waiting-for-vm" and stats["sent"] == 0
    with pytest.raises(frida.core.RPCException, match="already called"):
        script.exports_sync.init({"hooks": []})
    assert not [m for m in messages if m["type"] == "error"]


def test_init_rejects_a_config_without_hooks(agent):
    script, _ = agent
    with pytest.raises(frida.core.RPCException, match="hooks array"):
        script.exports_sync.init({})
