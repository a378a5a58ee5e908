"""Every flag Parley's commands accept does something, and a named test shows what: this
walks the parsers of `python -m runner`, `python -m datastore` and `python server.py`, and
fails for a flag nobody has shown the effect of (add its test to EVIDENCE), for evidence
that names a test which does not exist or never mentions the flag, and for a `run` flag that
does not reach the run's options."""
from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

import server
from datastore.__main__ import build_parser as datastore_parser
from runner.cli import build_parser as runner_parser
from runner.cli import options_from, server_limits_from

ROOT = Path(__file__).resolve().parents[2]
RUN = "tests/integration/test_runner_process.py"
REFUSALS = "tests/integration/test_runner_refusals.py"
BUDGETS = "tests/integration/test_runner_budgets.py::test_each_budget_flag_of_runner_run_limits_the_run"
MTURK = "tests/integration/test_mturk_provider.py"
BLOCKS = "tests/integration/test_mturk_blocks.py"
WAITING = "tests/integration/test_waiting_room.py"
COMPENSATION = "tests/integration/test_compensation.py"
NOTIFY = "tests/integration/test_notify_workers.py"
EXPORT = "tests/integration/test_export.py"

EVIDENCE = {
    "runner run --num-conversations": f"{RUN}::test_a_run_from_the_command_line_collects_its_conversation_and_exits_0",
    "runner run --reward": f"{RUN}::test_a_run_from_the_command_line_collects_its_conversation_and_exits_0",
    "runner run --provider": "tests/unit/test_registry.py::test_a_registered_package_is_offered_by_the_cli_with_its_own_flags_and_commands",
    "runner run --host": f"{RUN}::test_host_is_the_address_the_chat_server_listens_on_and_its_links_name",
    "runner run --port": f"{RUN}::test_a_busy_port_exits_2_with_one_sentence_and_creates_no_run",
    "runner run --db": f"{RUN}::test_a_run_from_the_command_line_collects_its_conversation_and_exits_0",
    "runner run --text-detector": "tests/integration/test_duplicates_and_detector.py::test_the_run_flag_names_the_detector_over_the_tasks",
    "runner run --unique": f"{REFUSALS}::test_unique_refuses_a_second_assignment_of_the_same_worker",
    "runner run --unique-qual-name": f"{REFUSALS}::test_a_unique_qual_name_keeps_a_worker_out_of_the_next_run_that_names_it",
    "runner run --allowed-conversations": f"{REFUSALS}::test_allowed_conversations_caps_the_tasks_one_worker_has_open",
    "runner run --count-complete": "tests/integration/test_run_flags.py::test_count_complete_counts_only_conversations_nobody_left_and_launches_their_place_again",
    "runner run --max-connections": f"{REFUSALS}::test_max_connections_refuses_workers_beyond_the_cap_until_one_leaves",
    "runner run --max-time": f"{REFUSALS}::test_max_time_refuses_a_worker_over_todays_cap",
    "runner run --max-time-qual": "tests/integration/test_task_context_live.py::test_on_mturk_a_worker_over_max_time_can_no_longer_accept_a_hit_of_the_task",
    "runner run --block-qualification": "tests/integration/test_task_context_live.py::test_on_mturk_a_worker_who_fails_the_qualification_test_is_blocked_there_too",
    "runner run --disconnect-qualification": f"{BLOCKS}::test_a_worker_who_reaches_the_disconnect_cap_gets_the_disconnect_qualification_and_no_more_hits",
    "runner run --hard-block": f"{BLOCKS}::test_with_hard_block_a_worker_who_reaches_the_disconnect_cap_is_blocked_on_mturk",
    "runner run --disconnect-cap": f"{BLOCKS}::test_a_worker_who_reaches_the_disconnect_cap_gets_the_disconnect_qualification_and_no_more_hits",
    "runner run --auto-approve-delay": "tests/integration/test_auto_approve.py::test_a_local_run_with_an_auto_approve_delay_approves_what_its_workers_submitted",
    "runner run --disconnect-timeout": "tests/integration/test_runner_live.py::test_a_worker_who_stays_away_is_disconnected_and_the_partner_told",
    "runner run --presence-seconds": "tests/integration/test_presence.py::test_two_runner_processes_write_their_workers_presence_and_a_third_process_reads_both",
    "runner run --stuck-seconds": "tests/integration/test_presence.py::test_a_worker_silent_on_their_turn_past_the_stuck_time_is_stuck_until_they_send",
    "runner run --max-wait": f"{WAITING}::test_a_lone_worker_is_released_paid_the_waiting_bonus_once_and_a_later_pair_completes_the_run",
    "runner run --waiting-bonus": f"{WAITING}::test_a_lone_worker_is_released_paid_the_waiting_bonus_once_and_a_later_pair_completes_the_run",
    "runner run --messages-per-second": BUDGETS,
    "runner run --message-burst": BUDGETS,
    "runner run --messages-per-assignment": BUDGETS,
    "runner run --bytes-per-assignment": BUDGETS,
    "runner run --header-timeout": "tests/integration/test_runner_http_limits.py::test_a_client_trickling_its_headers_is_dropped_at_the_header_timeout_however_it_keeps_sending",
    "runner run --max-http-connections": "tests/integration/test_runner_http_limits.py::test_connections_past_max_http_connections_are_answered_503",
    "runner run --sandbox": f"{MTURK}::test_sandbox_and_live_choose_the_marketplace_a_run_launches_on",
    "runner run --live": f"{MTURK}::test_sandbox_and_live_choose_the_marketplace_a_run_launches_on",
    "runner run --public-url": f"{MTURK}::test_a_runner_killed_mid_run_is_cleaned_up_by_the_next_one",
    "runner run --budget": f"{MTURK}::test_a_live_launch_over_budget_is_refused_before_any_call",
    "runner run --expire-orphans": f"{MTURK}::test_a_runner_killed_mid_run_is_cleaned_up_by_the_next_one",
    "runner hits --run": f"{MTURK}::test_the_hits_and_bonus_commands_work_on_a_runs_hits",
    "runner hits --all": f"{MTURK}::test_hits_list_all_lists_every_sandbox_run_or_with_live_every_live_one",
    "runner hits --live": f"{MTURK}::test_hits_list_all_lists_every_sandbox_run_or_with_live_every_live_one",
    "runner hits --db": f"{MTURK}::test_the_hits_and_bonus_commands_work_on_a_runs_hits",
    "runner bonus --assignment": f"{MTURK}::test_the_hits_and_bonus_commands_work_on_a_runs_hits",
    "runner bonus --worker": f"{COMPENSATION}::test_the_bonus_command_compensates_a_worker_once",
    "runner bonus --amount": f"{COMPENSATION}::test_the_bonus_command_compensates_a_worker_once",
    "runner bonus --reason": f"{COMPENSATION}::test_the_bonus_command_compensates_a_worker_once",
    "runner bonus --provider": f"{COMPENSATION}::test_the_bonus_command_compensates_a_worker_once",
    "runner bonus --live": f"{COMPENSATION}::test_bad_bonus_commands_exit_2_with_a_sentence_and_pay_nothing",
    "runner bonus --token": "tests/integration/test_compensation.py::test_an_explicit_token_makes_the_request_and_cannot_be_reused_for_another",
    "runner bonus --db": f"{MTURK}::test_the_hits_and_bonus_commands_work_on_a_runs_hits",
    "runner notify --worker": f"{NOTIFY}::test_the_notify_command_messages_workers_once",
    "runner notify --subject": f"{NOTIFY}::test_the_notify_command_messages_workers_once",
    "runner notify --message": f"{NOTIFY}::test_the_notify_command_messages_workers_once",
    "runner notify --run": f"{NOTIFY}::test_the_notify_command_messages_workers_once",
    "runner notify --provider": f"{NOTIFY}::test_bad_notify_commands_exit_2_with_a_sentence_and_send_nothing",
    "runner notify --live": f"{NOTIFY}::test_bad_notify_commands_exit_2_with_a_sentence_and_send_nothing",
    "runner notify --db": f"{NOTIFY}::test_the_notify_command_messages_workers_once",
    "runner stop --db": "tests/integration/test_run_control.py::test_python_m_runner_stop_stops_a_run_or_says_in_a_sentence_why_not",
    "datastore export --run": f"{EXPORT}::test_cli_writes_csv_to_stdout_without_out",
    "datastore export --format": f"{EXPORT}::test_cli_writes_csv_to_stdout_without_out",
    "datastore export --out": f"{EXPORT}::test_cli_writes_the_jsonl_export_to_the_out_file_and_a_summary_to_stderr",
    "datastore export --db": f"{EXPORT}::test_cli_uses_the_db_option_over_the_default_store",
    "datastore export --unflagged-only": "tests/integration/test_export_authenticity.py::test_cli_unflagged_only_writes_the_unflagged_messages_and_says_how_many_it_left_out",
    "server --host": "tests/webapp/test_server_py.py::test_host_and_db_choose_the_address_and_the_store",
    "server --port": "tests/webapp/test_server_py.py::test_a_first_start_on_a_busy_port_exits_2_and_keeps_no_password",
    "server --db": "tests/webapp/test_server_py.py::test_host_and_db_choose_the_address_and_the_store",
}


def _flags(parser: argparse.ArgumentParser, prefix: str) -> dict[str, argparse.Action]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_flags(sub, f"{prefix} {name}"))
        elif action.option_strings and not isinstance(action, argparse._HelpAction):
            found[f"{prefix} {action.option_strings[-1]}"] = action
    return found


def every_flag() -> dict[str, argparse.Action]:
    return {**_flags(runner_parser()[0], "runner"), **_flags(datastore_parser(), "datastore"),
            **_flags(server.build_parser(), "server")}


def _test_source(node_id: str) -> str:
    path, name = node_id.split("::")
    source = (ROOT / path).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            return "\n".join(source.splitlines()[first - 1:node.end_lineno])
    raise AssertionError(f"{node_id} names no test")


def test_every_flag_has_evidence_and_no_evidence_is_for_a_flag_that_is_gone():
    assert sorted(every_flag()) == sorted(EVIDENCE)


@pytest.mark.parametrize("flag", sorted(EVIDENCE))
def test_each_flags_evidence_is_a_test_that_uses_the_flag(flag):
    """The named test uses the flag (or the option it sets) itself, or through its file's
    helpers and parameters (a command line built once for the file, a list of cases)."""
    action = every_flag()[flag]
    test_source = _test_source(EVIDENCE[flag])
    file_source = (ROOT / EVIDENCE[flag].split("::")[0]).read_text()
    spellings = [*action.option_strings, f"{action.dest}=", f'"{action.dest}"']
    assert any(s in test_source or s in file_source for s in spellings), f"{EVIDENCE[flag]} never uses {flag}"


RUN_FLAG_VALUES = {
    "--num-conversations": "3", "--reward": "0.25", "--unique-qual-name": "q_unique",
    "--allowed-conversations": "2", "--max-connections": "5", "--max-time": "60",
    "--max-time-qual": "q_time", "--block-qualification": "q_block", "--disconnect-qualification": "q_gone",
    "--disconnect-cap": "4", "--auto-approve-delay": "30", "--disconnect-timeout": "12",
    "--max-wait": "45", "--presence-seconds": "0.5", "--stuck-seconds": "20", "--waiting-bonus": "0.10", "--messages-per-second": "1.5", "--message-burst": "7",
    "--messages-per-assignment": "9", "--bytes-per-assignment": "999",
}
SWITCHES = ("--unique", "--count-complete", "--hard-block")


@pytest.mark.parametrize("flag", [*RUN_FLAG_VALUES, *SWITCHES])
def test_each_run_flag_reaches_the_runs_options(flag):
    parser = runner_parser()[0]
    base = ["run", "qa_data_collection", "--disconnect-qualification", "q_gone"]
    given = [flag] if flag in SWITCHES else [flag, RUN_FLAG_VALUES[flag]]
    before = options_from(parser.parse_args(base)).as_config()
    after = options_from(parser.parse_args(base + given)).as_config()
    field = flag.lstrip("-").replace("-", "_")
    if flag != "--disconnect-qualification":
        assert before[field] != after[field]
    expected = True if flag in SWITCHES else RUN_FLAG_VALUES[flag]
    assert str(after[field]) == str(expected) or after[field] == type(after[field])(expected)


def test_the_chat_servers_flags_reach_its_limits():
    args = runner_parser()[0].parse_args(["run", "qa_data_collection", "--header-timeout", "3",
                                          "--max-http-connections", "17"])
    limits = server_limits_from(args)
    assert (limits.header_timeout, limits.max_connections) == (3.0, 17)
