import io

from profileviewer.export.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_shows_count_rate_and_eta_when_the_total_is_known():
    bar = ProgressBar(Terminal(), total=200)
    line = bar.line(50, 1234)
    assert line.startswith("50/200 profiles (25%), 1,234 events, ")
    assert "profiles/s, ETA " in line


def test_without_a_total_the_bar_says_how_to_get_an_eta():
    assert "pass --total N" in ProgressBar(Terminal()).line(3, 0)


def test_on_a_terminal_it_redraws_one_line_and_ends_at_the_final_count():
    screen = Terminal()
    bar = ProgressBar(screen, total=2)
    bar(1, 10)
    bar.finish(2, 20)
    assert screen.getvalue().count("\r") == 2
    assert screen.getvalue().endswith("\n")
    assert "2/2 profiles (100%)" in screen.getvalue()


def test_into_a_file_it_writes_whole_lines_now_and_then():
    log = io.StringIO()
    bar = ProgressBar(log)
    for n in range(1, 500):
        bar(n, n)
    assert "\r" not in log.getvalue()
    assert log.getvalue().count("\n") == 1
