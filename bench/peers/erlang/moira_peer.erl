%% moira_peer: the Erlang/OTP side of moira's side-by-side benchmark (issue 5).
%%
%% Build and run (exactly what bench/run does):
%%   erlc -o DIR bench/peers/erlang/moira_peer.erl
%%   erl -noshell -pa DIR -s moira_peer main WORKLOAD ARG... -s init stop
%% Workloads:
%%   spawn N        N idle processes waiting in receive; cold wave, then a warm wave
%%   pingpong N     two processes, N round trips
%%   ring P H       P processes in a ring, one token, H hops in total
%%   skynet N       tree of processes, 10 children each, N leaves numbered 0..N-1, sum them
%%   fanin S M      S senders, one receiver, M messages in total (M/S per sender)
%% Output: only lines "RESULT <workload> <metric> <value> <unit>" on stdout; notes go to stderr.
%% Every workload checks its own result (a count or a sum) and exits with status 1 (halt(1)) if
%% the check fails; a bad command line exits with status 64.
%%
%% Schedulers: the defaults (one per core, +S N:N) -- nothing is tuned.
%% Process limit: the default limit (262,144) is too small for spawn 1M and skynet 1M, and bench/run
%% starts erl without flags, so when a workload needs more than the running VM allows, main/1
%% re-executes the same command as `erl +P 8388608 ...` (a child VM; its stdout is relayed and its
%% exit status is ours). Running `erl +P 8388608 -noshell -pa DIR -s moira_peer main ...` directly
%% avoids the extra VM start; the timed figures are identical either way (startup is never timed).
-module(moira_peer).
-export([main/1]).

-define(BIG_LIMIT, 8388608).

main(Args0) ->
    Args = [to_string(A) || A <- Args0],
    try
        Needed = processes_needed(Args),
        case erlang:system_info(process_limit) < Needed of
            true -> reexec(Args);
            false -> run(Args)
        end
    catch
        throw:{usage, Msg} ->
            io:format(standard_error, "moira_peer: ~s~n", [Msg]),
            io:format(standard_error,
                      "usage: erl -noshell -pa DIR -s moira_peer main "
                      "spawn N | pingpong N | ring P H | skynet N | fanin S M -s init stop~n", []),
            halt(64)
    end,
    halt(0).

to_string(A) when is_atom(A) -> atom_to_list(A);
to_string(A) when is_binary(A) -> binary_to_list(A);
to_string(A) when is_list(A) -> A.

int(S) ->
    try list_to_integer(S) of
        N when N > 0 -> N;
        _ -> throw({usage, "arguments must be positive integers: " ++ S})
    catch error:badarg -> throw({usage, "not an integer: " ++ S})
    end.

%% Upper bound on live processes a workload needs (plus slack for the VM's own processes).
processes_needed(["spawn", N]) -> int(N) + 1000;
processes_needed(["pingpong", _]) -> 1000;
processes_needed(["ring", P, _]) -> int(P) + 1000;
processes_needed(["skynet", N]) -> skynet_nodes(int(N)) + 1000;
processes_needed(["fanin", S, _]) -> int(S) + 1000;
processes_needed(_) -> throw({usage, "unknown workload or wrong number of arguments"}).

skynet_nodes(1) -> 1;
skynet_nodes(N) -> 1 + lists:sum([skynet_nodes(C) || {_, C} <- split(0, N)]).

reexec(Args) ->
    case os:getenv("MOIRA_PEER_CHILD") of
        "1" -> io:format(standard_error, "moira_peer: process limit too small even with +P~n", []),
               halt(1);
        _ -> ok
    end,
    Erl = os:find_executable("erl"),
    Dir = filename:dirname(code:which(?MODULE)),
    ErlArgs = ["+P", integer_to_list(?BIG_LIMIT), "-noshell", "-pa", Dir,
               "-s", atom_to_list(?MODULE), "main"] ++ Args ++ ["-s", "init", "stop"],
    io:format(standard_error, "moira_peer: re-running with +P ~b (process limit ~b is too small)~n",
              [?BIG_LIMIT, erlang:system_info(process_limit)]),
    Port = open_port({spawn_executable, Erl},
                     [{args, ErlArgs}, {env, [{"MOIRA_PEER_CHILD", "1"}]},
                      binary, stream, exit_status, use_stdio]),
    relay(Port).

relay(Port) ->
    receive
        {Port, {data, Data}} -> io:put_chars(Data), relay(Port);
        {Port, {exit_status, Status}} -> halt(Status)
    end.

result(Workload, Metric, Value, Unit) when is_float(Value) ->
    io:format("RESULT ~s ~s ~s ~s~n", [Workload, Metric, fmt(Value), Unit]);
result(Workload, Metric, Value, Unit) when is_integer(Value) ->
    io:format("RESULT ~s ~s ~b ~s~n", [Workload, Metric, Value, Unit]).

fmt(V) when abs(V) >= 1000 -> integer_to_list(round(V));
fmt(V) -> float_to_list(V, [{decimals, 6}, compact]).

check(true, _What) -> ok;
check(false, What) ->
    io:format(standard_error, "moira_peer: CHECK FAILED: ~s~n", [What]),
    halt(1).

now_us() -> erlang:monotonic_time(microsecond).

%% elapsed seconds, never zero (a tiny run must not divide by zero)
secs(T0, T1) -> max(1, T1 - T0) / 1.0e6.

%%% ---------------------------------------------------------------- dispatch

run(["spawn", N]) -> spawn_bench(int(N));
run(["pingpong", N]) -> pingpong(int(N));
run(["ring", P, H]) -> ring(int(P), int(H));
run(["skynet", N]) -> skynet(int(N));
run(["fanin", S, M]) -> fanin(int(S), int(M)).

%%% ---------------------------------------------------------------- spawn

%% Time from the first spawn until all N are spawned and each has reported `ready` from inside
%% its own body; memory is erlang:memory(total) and OS RSS (/proc/self/statm) before and after,
%% with all N still alive and idle in receive. Then each is sent `stop` (it returns and exits) and
%% we wait until all are gone; the warm wave repeats the same on the recycled memory.
spawn_bench(N) ->
    spawn_wave("spawn_cold", N),
    spawn_wave("spawn_warm", N).

spawn_wave(Name, N) ->
    Base = erlang:system_info(process_count),
    garbage_collect(),
    Own0 = own_memory(),
    Mem0 = erlang:memory(total),
    Rss0 = rss_bytes(),
    Self = self(),
    T0 = now_us(),
    Pids = spawn_n(N, Self, []),
    wait_ready(N),
    T1 = now_us(),
    Mem1 = erlang:memory(total) - (own_memory() - Own0),
    Rss1 = rss_bytes(),
    check(erlang:system_info(process_count) - Base =:= N,
          io_lib:format("~s: ~b processes alive, expected ~b",
                        [Name, erlang:system_info(process_count) - Base, N])),
    result(Name, "us_per_spawn", (T1 - T0) / N, "us"),
    result(Name, "kib_per_process", (Mem1 - Mem0) / N / 1024, "KiB"),
    case {Rss0, Rss1} of
        {R0, R1} when is_integer(R0), is_integer(R1) ->
            result(Name, "rss_kib_per_process", (R1 - R0) / N / 1024, "KiB");
        _ -> ok
    end,
    [P ! stop || P <- Pids],
    wait_gone(Base).

spawn_n(0, _Parent, Acc) -> Acc;
spawn_n(K, Parent, Acc) ->
    P = spawn(fun() -> Parent ! ready, receive stop -> ok end end),
    spawn_n(K - 1, Parent, [P | Acc]).

%% the parent's own growth (its list of N pids) is not counted in erlang:memory's figure
own_memory() -> {memory, B} = process_info(self(), memory), B.

wait_ready(0) -> ok;
wait_ready(K) -> receive ready -> wait_ready(K - 1) end.

wait_gone(Base) ->
    case erlang:system_info(process_count) > Base of
        true -> timer:sleep(5), wait_gone(Base);
        false -> ok
    end.

rss_bytes() ->
    case file:read_file("/proc/self/statm") of
        {ok, Bin} ->
            [_Size, Resident | _] = string:lexemes(binary_to_list(Bin), " \n"),
            list_to_integer(Resident) * 4096;
        _ -> undefined
    end.

%%% ---------------------------------------------------------------- pingpong

pingpong(N) ->
    Self = self(),
    Pong = spawn(fun pong/0),
    Ping = spawn(fun() -> receive go -> ok end, ping(Pong, N, 0, Self) end),
    T0 = now_us(),
    Ping ! go,
    Count = receive {ping_done, C} -> C end,
    T1 = now_us(),
    Pong ! stop,
    check(Count =:= N, io_lib:format("pingpong: ~b round trips, expected ~b", [Count, N])),
    result("pingpong", "round_trips_per_s", N / secs(T0, T1), "1/s"),
    result("pingpong", "seconds", secs(T0, T1), "s").

ping(_Pong, 0, Count, Parent) -> Parent ! {ping_done, Count};
ping(Pong, K, Count, Parent) ->
    Pong ! {ping, self()},
    receive pong -> ping(Pong, K - 1, Count + 1, Parent) end.

pong() ->
    receive
        {ping, From} -> From ! pong, pong();
        stop -> ok
    end.

%%% ---------------------------------------------------------------- ring

%% P processes, each forwarding the token to the next; the token carries the hops made so far (the
%% parent's initial send is not a hop) and the process that receives it after hop H reports the
%% count. Building the ring is not timed.
ring(P, H) ->
    Self = self(),
    First = spawn(fun() -> receive {next, Next} -> ring_node(Next, H, Self) end end),
    Last = build_ring(P - 1, First, H, Self),
    First ! {next, Last},
    T0 = now_us(),
    First ! {token, 0},
    Hops = receive {ring_done, Count} -> Count end,
    T1 = now_us(),
    First ! {stop, First},
    receive ring_stopped -> ok end,
    check(Hops =:= H, io_lib:format("ring: ~b hops, expected ~b", [Hops, H])),
    result("ring", "hops_per_s", H / secs(T0, T1), "1/s"),
    result("ring", "seconds", secs(T0, T1), "s").

%% Node k forwards to node k-1; First forwards to Last, closing the ring.
build_ring(0, Next, _H, _Parent) -> Next;
build_ring(K, Next, H, Parent) ->
    Pid = spawn(fun() -> ring_node(Next, H, Parent) end),
    build_ring(K - 1, Pid, H, Parent).

ring_node(Next, H, Parent) ->
    receive
        {token, H} ->
            Parent ! {ring_done, H},
            ring_node(Next, H, Parent);
        {token, Count} ->
            Next ! {token, Count + 1},
            ring_node(Next, H, Parent);
        {stop, Origin} when Next =:= Origin ->
            Parent ! ring_stopped;
        {stop, Origin} ->
            Next ! {stop, Origin}
    end.

%%% ---------------------------------------------------------------- skynet

%% Every node splits its range [Num, Num+Size) into (up to) 10 consecutive parts, spawns one child
%% per part and sums what they send back; a node with Size 1 is a leaf and sends Num.
skynet(N) ->
    Self = self(),
    T0 = now_us(),
    spawn(fun() -> skynet_node(Self, 0, N) end),
    Sum = receive {skynet, S} -> S end,
    T1 = now_us(),
    Expected = N * (N - 1) div 2,
    check(Sum =:= Expected, io_lib:format("skynet: sum ~b, expected ~b", [Sum, Expected])),
    result("skynet", "seconds", secs(T0, T1), "s").

skynet_node(Parent, Num, 1) -> Parent ! {skynet, Num};
skynet_node(Parent, Num, Size) ->
    Self = self(),
    Parts = split(Num, Size),
    [spawn(fun() -> skynet_node(Self, Start, Sz) end) || {Start, Sz} <- Parts],
    Parent ! {skynet, skynet_sum(length(Parts), 0)}.

skynet_sum(0, Acc) -> Acc;
skynet_sum(K, Acc) -> receive {skynet, S} -> skynet_sum(K - 1, Acc + S) end.

%% [{Start, Size}] for (up to) 10 consecutive, nearly equal parts of [Num, Num+Size).
split(Num, Size) ->
    D = min(10, Size),
    Q = Size div D,
    R = Size rem D,
    split(Num, Q, R, 0, D).

split(_Num, _Q, _R, I, D) when I =:= D -> [];
split(Num, Q, R, I, D) ->
    Sz = Q + (case I < R of true -> 1; false -> 0 end),
    [{Num, Sz} | split(Num + Sz, Q, R, I + 1, D)].

%%% ---------------------------------------------------------------- fanin

%% S senders, each sending M div S messages (M rem S are spread one each over the first senders,
%% so the total is exactly M) to one receiver, which counts to M and reports. Timed from the go
%% signal (all senders already spawned and waiting) to the receiver's report.
fanin(S, M) ->
    Self = self(),
    Receiver = spawn(fun() -> fanin_receiver(M, 0, Self) end),
    Q = M div S,
    R = M rem S,
    Senders = [spawn(fun() ->
                             receive go -> ok end,
                             fanin_send(Receiver, Q + (case I =< R of true -> 1; false -> 0 end))
                     end) || I <- lists:seq(1, S)],
    T0 = now_us(),
    [P ! go || P <- Senders],
    Count = receive {fanin_done, C} -> C end,
    T1 = now_us(),
    check(Count =:= M, io_lib:format("fanin: ~b messages, expected ~b", [Count, M])),
    result("fanin", "messages_per_s", M / secs(T0, T1), "1/s"),
    result("fanin", "seconds", secs(T0, T1), "s").

fanin_send(_Receiver, 0) -> ok;
fanin_send(Receiver, K) -> Receiver ! msg, fanin_send(Receiver, K - 1).

fanin_receiver(M, M, Parent) -> Parent ! {fanin_done, M};
fanin_receiver(M, Count, Parent) ->
    receive msg -> fanin_receiver(M, Count + 1, Parent) end.
