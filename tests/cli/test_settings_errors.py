"""`casewatch CMD` with wrong CASEWATCH_* settings: one clear line, exit 2, no traceback."""

import pytest

from cli.main import main

SECRET = "pw-Kafka-Secret-9"


@pytest.mark.parametrize("command", [["publish", "-"], ["console", "--once"],
                                     ["demo-feed", "--cases", "1"]])
@pytest.mark.parametrize("env,expected", [
    ({"CASEWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_TLS"},
     "配置错误 invalid settings: kafka_security_protocol='SASL_TLS': Input should be "
     "'PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL' or 'SSL'"),
    ({"CASEWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "CASEWATCH_KAFKA_PASSWORD": SECRET},
     "配置错误 invalid settings: CASEWATCH_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT needs "
     "CASEWATCH_KAFKA_USERNAME"),
    ({"CASEWATCH_PARTITIONS": "many", "CASEWATCH_KAFKA_PASSWORD": SECRET},
     "配置错误 invalid settings: partitions='many': Input should be a valid integer"),
])
def test_bad_settings_exit_2_with_one_line(monkeypatch, capsys, command, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"casewatch {command[0]}: {expected}")
    assert err.count("\n") == 1 and "Traceback" not in err and SECRET not in err
