%% PropEr's side of bench/property_vs_proper: the lost-update account server of
%% properties/tests/account.hpp, as a sequential and as a parallel statem. A deposit reads the
%% balance with a call and writes balance + 1 with a cast (the seeded race), unless the `atomic`
%% flag makes it one call. Prints RESULT lines like moira_property_bench.
%%   erl -noshell -pa DIR -eval 'moira_proper_account:main(["sequential", "2000"]), halt().'
-module(moira_proper_account).
-include_lib("proper/include/proper.hrl").

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).
-export([initial_state/0, command/1, precondition/2, postcondition/3, next_state/3]).
-export([deposit/0, read/0]).

%% ---- the account server
init([]) -> {ok, 0}.
handle_call(read, _From, B) -> {reply, B, B};
handle_call(add, _From, B) -> {reply, ok, B + 1}.
handle_cast({set, V}, _) -> {noreply, V}.

start() -> {ok, _} = gen_server:start({local, account}, ?MODULE, [], []), ok.
stop() -> gen_server:stop(account).

deposit() ->
    case persistent_term:get(atomic) of
        true -> gen_server:call(account, add);
        false ->
            B = gen_server:call(account, read),
            gen_server:cast(account, {set, B + 1}),  % the bug: not atomic with the read
            ok
    end.
read() -> gen_server:call(account, read).

%% ---- the model
initial_state() -> 0.
command(_) -> oneof([{call, ?MODULE, deposit, []}, {call, ?MODULE, read, []}]).
precondition(_, _) -> true.
next_state(B, _, {call, _, deposit, []}) -> B + 1;
next_state(B, _, _) -> B.
postcondition(_, {call, _, deposit, []}, R) -> R =:= ok;
postcondition(B, {call, _, read, []}, R) -> R =:= B.

prop_sequential() ->
    ?FORALL(Cmds, commands(?MODULE),
            begin
                start(),
                {_, _, Res} = run_commands(?MODULE, Cmds),
                stop(),
                Res =:= ok
            end).

prop_parallel() ->
    ?FORALL(Cmds, parallel_commands(?MODULE),
            begin
                start(),
                {_, _, Res} = run_parallel_commands(?MODULE, Cmds),
                stop(),
                Res =:= ok
            end).

%% ---- the measurements
rate(Name, Prop, N) ->
    {Us, true} = timer:tc(fun() -> proper:quickcheck(Prop, [{numtests, N}, quiet]) end),
    io:format("RESULT proper ~s tests_per_s ~.1f (~b tests in ~.3f s)~n", [Name, N * 1.0e6 / Us, N, Us / 1.0e6]).

main([What, NStr]) ->
    N = list_to_integer(NStr),
    case What of
        "sequential" -> persistent_term:put(atomic, false), rate("sequential", prop_sequential(), N);
        "parallel" -> persistent_term:put(atomic, true), rate("parallel", prop_parallel(), N);
        "race" ->
            persistent_term:put(atomic, false),
            {Us, Res} = timer:tc(fun() -> proper:quickcheck(prop_parallel(), [{numtests, N}]) end),
            io:format("RESULT proper race found=~p in ~.3f s (search + shrink)~n", [Res =/= true, Us / 1.0e6]),
            io:format("RESULT proper race counterexample ~w~n", [proper:counterexample()])
    end.
