# Osprey top-level build.
#   make                      build osprey, modules, ospreyctl and tests (release, MEMMNG=fm)
#   make MEMMNG=fm|qm|tlsf    shm and pkg heap allocator (Kamailio spelling 0|1|2 too)
#   make MEMDBG=1             per-fragment debug records + leak report
#   make MODE=release|debug|asan
#   make test                 unit + integration + script tests, ends with "N passed, N failed"
#                             (OSPREY_TEST_JOBS binaries at a time, default 2)
#   make test-mem             allocator and lock tests only (CI runs it per allocator)
#   make run                  build osprey and modules, start it in the foreground with
#                             etc/osprey.cfg (proxy + registrar, registrations in data/)
#   make bench                all benchmarks (bench-mem, bench-parser, ...)
#   make bench-shm-reclaim    taking back parked shm cache memory: us per reclaim, per dead worker
#   make bench-parser         SIP parser/builder: ns per message, MB/s, allocations
#   make bench-pv             cached KSR.pv.get below the Lua boundary: ns per lookup+get
#   make bench-htable         htable get/set/inc/insert and $sht below the Lua boundary: ns per op
#   make bench-ksr-call       one KSR.<module>.<fn>(...) call across the Lua boundary: ns per call
#   make bench-auth           pv_auth_check below the Lua boundary: ns per check (MD5, SHA-256)
#   make bench-auth-db        the same with the password from the subscriber table (auth_db)
#   make bench-dns            DNS cache hit: ns per lookup, and instructions per hit (callgrind)
#   make bench-pike           pike check: ns and instructions per request (callgrind)
#   make bench-flood          one UDP flooder vs a legitimate client, Osprey and Kamailio (pike)
#   make bench-ir             router instructions per request (callgrind), Osprey and Kamailio
#   make bench-registrar-db   closed-loop REGISTER req/s with usrloc db_mode 0, 1, 2
#   make bench-rtpengine      calls/s with media relay through rtpengine, Osprey vs Kamailio;
#                             instructions Osprey adds per offer/answer pair (callgrind)
#   make bench-tls            TLS handshakes/s (ECDSA, RSA, resumed), PSS per idle connection,
#                             Osprey and Kamailio side by side
#   make bench-rpc            RPC at 100/s against stateful SIP at 15k/s: SIP CPU per request
#   make bench-dispatcher     dispatcher selection (ns, instructions) and calls/s against Kamailio
#                             and p99 with and without; ul.dump of 100,000 AoRs; GET /metrics
#   make bench-natping        NAT keepalives of 100,000 bindings every 30 s: pinger CPU (<= 5 %)
#   make bench-redis          REGISTER req/s with usrloc store = "redis" vs memory only, and
#                             Kamailio 5.6 on db_redis (db_mode 3) vs Kamailio in memory
#   make bench-redis-lookup   lookup -> relay through a second node (store = "redis") vs one node
#   make fuzz                 libFuzzer targets in test/fuzz/ (clang), FUZZ_SECONDS each
#   BUILD=dir                 build directory (default build/<mode>-<memmng>[-memdbg])

MEMMNG ?= fm
MEMDBG ?= 0
MODE   ?= release

override MEMMNG := $(patsubst 0,fm,$(patsubst 1,qm,$(patsubst 2,tlsf,$(MEMMNG))))
ifeq ($(filter $(MEMMNG),fm qm tlsf),)
$(error MEMMNG must be fm, qm or tlsf (or 0, 1, 2); got '$(MEMMNG)')
endif
ifeq ($(filter $(MODE),release debug asan),)
$(error MODE must be release, debug or asan; got '$(MODE)')
endif

BUILD ?= build/$(MODE)-$(MEMMNG)$(if $(filter 1,$(MEMDBG)),-memdbg)
VERSION := 0.1.0

CXX ?= g++
ifeq ($(origin CXX),default)
# ccache, when installed, lets several build directories share objects (all flags but the
# path defines below are the same across them).
CXX := $(if $(shell command -v ccache 2>/dev/null),ccache g++,g++)
endif

# Quiet by default; V=1 shows full command lines.
ifeq ($(V),1)
Q_CXX :=
Q_LD :=
Q_AR :=
else
Q_CXX = @echo "  CXX     $<";
Q_LD = @echo "  LD      $@";
Q_AR = @echo "  AR      $@";
endif

$(info osprey: MEMMNG=$(MEMMNG) MEMDBG=$(MEMDBG) MODE=$(MODE) BUILD=$(BUILD))

CPPFLAGS := -I. -DOSPREY_VERSION='"$(VERSION)"' -DOSPREY_MEMMNG_$(MEMMNG)=1 \
            -DOSPREY_MEMMNG_NAME='"$(MEMMNG)"' -DOSPREY_MEMDBG=$(if $(filter 1,$(MEMDBG)),1,0) \
            -DOSPREY_BUILD_MODE='"$(MODE)"'
# Paths differ per build directory: only the files that use them get them, so every other
# object is identical across build directories (and cached by ccache).
PATH_DEFS := -DOSPREY_MODULES_DIR='"$(abspath $(BUILD))/modules"' \
             -DOSPREY_SOURCE_DIR='"$(abspath .)"' -DOSPREY_BUILD_DIR='"$(abspath $(BUILD))"'
CXXFLAGS := -std=c++20 -Wall -Wextra -Werror -g -pthread -MMD -MP -fno-plt
LDFLAGS  := -pthread
ifeq ($(MODE),release)
CXXFLAGS += -O2
else ifeq ($(MODE),debug)
CXXFLAGS += -O0 -DOSPREY_DEBUG=1
else
CXXFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
# MEMDBG records a call stack per allocation: with frame pointers that is a short pointer
# walk instead of a DWARF unwind (mem/debug/stack_trace.h).
ifeq ($(MEMDBG),1)
CXXFLAGS += -fno-omit-frame-pointer -DOSPREY_FRAME_POINTERS=1
endif

# --- dependencies: scripts/deps.sh installs missing packages once (the stamp records it);
# build/config.mk holds the flags pkg-config reports for them. Make rebuilds the included
# config.mk (after the stamp) and restarts itself, so even the first `make` on a fresh machine
# compiles with them. Goals that build nothing don't need them (nor the package install).
DEPS_SCRIPT ?= scripts/deps.sh
DEPS_STAMP  := build/.deps-ok
CONFIG_MK   := build/config.mk
NO_DEPS_GOALS := clean format
ifneq ($(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
-include $(CONFIG_MK)
endif

# Package flags come from build/config.mk (above), never from pkg-config at parse time: on a
# fresh machine that would run before scripts/deps.sh and find nothing.
LIBS_CORE := -lconfig++ $(LUAJIT_LIBS) $(CARES_LIBS) -lssl -lcrypto -lsqlite3 -lunwind -ldl
CPPFLAGS  += $(LUAJIT_CFLAGS) $(CARES_CFLAGS)
LIBS_MEM  := -lunwind
GTEST_LIBS := -lgtest -lgtest_main
BENCH_LIBS := -lbenchmark

# --- sources (discovered, so adding a file needs no Makefile edit) -----------------
MEM_SRC   := $(shell find mem -name '*.cpp' | sort)
CORE_SRC  := $(filter-out core/main.cpp,$(shell find core -name '*.cpp' | sort))
MODULES   := $(notdir $(patsubst %/,%,$(dir $(wildcard modules/*/*.cpp))))
MODULES   := $(sort $(MODULES))
SIP_SRC   := $(shell find core/sip -name '*.cpp' 2>/dev/null | sort)
UNIT_SRC  := $(wildcard test/unit/*_test.cpp)
INTEG_SRC := $(wildcard test/integration/*_test.cpp)
SUPPORT_SRC := $(wildcard test/support/*.cpp)
BENCH_SRC := $(wildcard test/bench/*_bench.cpp)

obj = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(1))
MEM_LIB   := $(BUILD)/lib/libosprey_mem.a
CORE_LIB  := $(BUILD)/lib/libosprey_core.a
SIP_LIB   := $(BUILD)/lib/libosprey_sip.a
SUPPORT_LIB := $(BUILD)/lib/libosprey_testsupport.a
OSPREY    := $(BUILD)/osprey
MODULE_SO := $(foreach m,$(MODULES),$(BUILD)/modules/$(m)/$(m).so)
UNIT_BIN  := $(patsubst test/unit/%.cpp,$(BUILD)/test/unit/%,$(UNIT_SRC))
INTEG_BIN := $(patsubst test/integration/%.cpp,$(BUILD)/test/integration/%,$(INTEG_SRC))
BENCH_BIN := $(patsubst test/bench/%.cpp,$(BUILD)/bench/%,$(BENCH_SRC))
MEM_UNIT_BIN := $(filter $(BUILD)/test/unit/mem_% $(BUILD)/test/unit/lock_%,$(UNIT_BIN))

# Objects are kept (not deleted as intermediates), so relinking a test never recompiles it.
.SECONDARY:

.PHONY: all osprey modules ospreyctl tests test test-mem run bench bench-mem bench-parser bench-pv \
        bench-auth bench-auth-db bench-htable bench-ksr-call bench-ir bench-tools bench-registrar-db \
        bench-shm-reclaim bench-dns bench-rpc bench-natping bench-pike bench-flood \
        bench-dispatcher bench-tls bench-redis bench-redis-lookup bench-rtpengine bench-tm-shm clean deps \
        fuzz format
all: osprey modules ospreyctl tests bench-tools

deps: $(DEPS_STAMP)
$(DEPS_STAMP): $(DEPS_SCRIPT)
	@$(DEPS_SCRIPT)
	@mkdir -p $(dir $@) && touch $@

$(CONFIG_MK): $(DEPS_STAMP) Makefile
	@mkdir -p $(dir $@)
	@{ echo "LUAJIT_CFLAGS := $$(pkg-config --cflags luajit)"; \
	   echo "LUAJIT_LIBS := $$(pkg-config --libs luajit || echo -lluajit-5.1)"; \
	   echo "CARES_CFLAGS := $$(pkg-config --cflags libcares)"; \
	   echo "CARES_LIBS := $$(pkg-config --libs libcares || echo -lcares)"; \
	   echo "HIREDIS_CFLAGS := $$(pkg-config --cflags hiredis)"; \
	   echo "HIREDIS_LIBS := $$(pkg-config --libs hiredis || echo -lhiredis)"; } >$@.tmp
	@mv $@.tmp $@

osprey: $(OSPREY)
modules: $(MODULE_SO)
tests: $(UNIT_BIN) $(INTEG_BIN)

$(BUILD)/obj/test/%.o $(BUILD)/pic/test/%.o $(BUILD)/obj/core/main.o \
$(BUILD)/obj/core/config/config_loader.o: CPPFLAGS += $(PATH_DEFS)
$(BUILD)/obj/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q_CXX)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# Module objects are position independent; they resolve core symbols from the binary.
$(BUILD)/pic/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q_CXX)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -fPIC -c $< -o $@

$(MEM_LIB): $(call obj,$(MEM_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q_AR)ar rcs $@ $^

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q_AR)ar rcs $@ $^

$(SIP_LIB): $(call obj,$(SIP_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q_AR)ar rcs $@ $^

$(SUPPORT_LIB): $(call obj,$(SUPPORT_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q_AR)ar rcs $@ $^

# The binary exports its symbols so modules loaded with dlopen can call into core.
$(OSPREY): $(call obj,core/main.cpp) $(CORE_LIB) $(MEM_LIB)
	$(Q_LD)$(CXX) $(LDFLAGS) -rdynamic -o $@ $< -Wl,--whole-archive $(CORE_LIB) $(MEM_LIB) \
	    -Wl,--no-whole-archive $(LIBS_CORE)

# The operator's client (utils/ospreyctl/): it talks to a running osprey over the control socket
# and shares only the RPC value tree, its JSON codec and the SQLite layer (plain C++, no server
# code) with core/.
OSPREYCTL := $(BUILD)/ospreyctl
OSPREYCTL_SRC := $(wildcard utils/ospreyctl/*.cpp) core/rpc/value.cpp core/rpc/json_reader.cpp \
                 core/rpc/json_writer.cpp core/db/db_url.cpp core/db/sqlite_conn.cpp \
                 core/db/sqlite_stmt.cpp
$(BUILD)/obj/utils/%.o: CPPFLAGS += $(PATH_DEFS)
$(OSPREYCTL): $(call obj,$(OSPREYCTL_SRC))
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ -lconfig++ -lsqlite3 -lcrypto
ospreyctl: $(OSPREYCTL)

# Libraries a module needs itself (the binary keeps only the libraries it uses):
# MODULE_LIBS_<name>.
MODULE_LIBS_auth := -lcrypto
MODULE_LIBS_usrloc := -lsqlite3 $(HIREDIS_LIBS)
# hiredis's flags only where it is used (usrloc's redis store), so nothing else recompiles.
$(BUILD)/pic/modules/usrloc/%.o $(BUILD)/obj/modules/usrloc/%.o: CPPFLAGS += $(HIREDIS_CFLAGS)
define module_rule
$(BUILD)/modules/$(1)/$(1).so: $(patsubst %.cpp,$(BUILD)/pic/%.o,$(wildcard modules/$(1)/*.cpp))
	@mkdir -p $$(dir $$@)
	$$(Q_LD)$(CXX) $(LDFLAGS) -shared -o $$@ $$^ $(MODULE_LIBS_$(1))
endef
$(foreach m,$(MODULES),$(eval $(call module_rule,$(m))))

# Unit tests of a module (test/unit/<module>_*_test.cpp) also link an archive of the module's
# objects but the one holding its OSPREY_MODULE_EXPORT: an archive, so a test that includes a
# module .cpp itself gets no duplicate symbols.
MODULE_TEST_OBJ = $(call obj,$(filter-out $(shell grep -l OSPREY_MODULE_EXPORT modules/$(1)/*.cpp),\
                      $(wildcard modules/$(1)/*.cpp)))
define module_unit_rule
$(BUILD)/lib/libosprey_mod_$(1).a: $(call MODULE_TEST_OBJ,$(1))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(Q_AR)ar rcs $$@ $$^
$(filter $(BUILD)/test/unit/$(1)_%,$(UNIT_BIN)): $(BUILD)/test/unit/%: $(BUILD)/obj/test/unit/%.o \
        $(BUILD)/lib/libosprey_mod_$(1).a $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $$(dir $$@)
	$$(Q_LD)$(CXX) $(LDFLAGS) -o $$@ $$< $(BUILD)/lib/libosprey_mod_$(1).a $(SUPPORT_LIB) \
	    $(CORE_LIB) $(MEM_LIB) $(LIBS_CORE) $(MODULE_LIBS_$(1)) $(GTEST_LIBS)
endef
$(foreach m,$(MODULES),$(eval $(call module_unit_rule,$(m))))

# Test-only modules (test/modules/<name>/*.cpp -> $(BUILD)/test/modules/<name>/<name>.so) for
# the module loader tests, which find them through OSPREY_BUILD_DIR.
TEST_MODULES := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard test/modules/*/*.cpp)))))
TEST_MODULE_SO := $(foreach m,$(TEST_MODULES),$(BUILD)/test/modules/$(m)/$(m).so)
define test_module_rule
$(BUILD)/test/modules/$(1)/$(1).so: $(patsubst %.cpp,$(BUILD)/pic/%.o,$(wildcard test/modules/$(1)/*.cpp))
	@mkdir -p $$(dir $$@)
	$$(Q_LD)$(CXX) $(LDFLAGS) -shared -o $$@ $$^
endef
$(foreach m,$(TEST_MODULES),$(eval $(call test_module_rule,$(m))))
$(filter $(BUILD)/test/unit/module_%,$(UNIT_BIN)): | $(TEST_MODULE_SO)
# testmod_idle carries the test worker (test/support/idle_worker.h) the process tests run.
$(BUILD)/test/modules/testmod_idle/testmod_idle.so: $(BUILD)/pic/test/support/idle_worker.o \
                                                    $(BUILD)/pic/test/support/heap_selftest.o

# Unit tests link only the layers they test, so work in progress elsewhere cannot break them:
# mem_* and lock_* tests link mem/ only; sip_* tests link core/sip/ and mem/.
$(BUILD)/test/unit/mem_%: $(BUILD)/obj/test/unit/mem_%.o $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(MEM_LIB) $(LIBS_MEM) $(GTEST_LIBS)

$(BUILD)/test/unit/lock_%: $(BUILD)/obj/test/unit/lock_%.o $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(MEM_LIB) $(LIBS_MEM) $(GTEST_LIBS)

$(BUILD)/test/unit/sip_%: $(BUILD)/obj/test/unit/sip_%.o $(SIP_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(SIP_LIB) $(MEM_LIB) $(LIBS_MEM) $(GTEST_LIBS)

$(BUILD)/test/unit/%: $(BUILD)/obj/test/unit/%.o $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB) $(LIBS_CORE) $(GTEST_LIBS)

$(BUILD)/test/integration/%: $(BUILD)/obj/test/integration/%.o $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB) $(LIBS_CORE) $(GTEST_LIBS)

# The allocator benchmark links mem/ only (and its own mem_bench_* helpers), so work in
# progress in core/ cannot break it.
$(BUILD)/bench/mem_bench: $(BUILD)/obj/test/bench/mem_bench.o \
                          $(call obj,$(wildcard test/bench/mem_bench_*.cpp)) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_MEM)

# The parser benchmark links core/sip/ and mem/ only; it counts system allocations itself.
$(BUILD)/bench/parser_bench: $(BUILD)/obj/test/bench/parser_bench.o $(SIP_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_MEM)

# The auth benchmark measures the module's own code: it links the module's archive, as the
# module's unit tests do.
$(BUILD)/bench/auth_bench: $(BUILD)/obj/test/bench/auth_bench.o $(BUILD)/lib/libosprey_mod_auth.a \
                           $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(MODULE_LIBS_auth) $(BENCH_LIBS)

# The rtpengine micro-benchmark links the module's archive the same way.
$(BUILD)/bench/rtpengine_bench: $(BUILD)/obj/test/bench/rtpengine_bench.o \
                                $(BUILD)/lib/libosprey_mod_rtpengine.a $(SUPPORT_LIB) $(CORE_LIB) \
                                $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(BENCH_LIBS)

# auth_db's lookup against auth with the script's password (make bench-auth-db): both modules'
# archives.
$(BUILD)/bench/auth_db_bench: $(BUILD)/obj/test/bench/auth_db_bench.o \
                              $(BUILD)/lib/libosprey_mod_auth_db.a $(BUILD)/lib/libosprey_mod_auth.a \
                              $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(MODULE_LIBS_auth) $(BENCH_LIBS)

# The dispatcher benchmark measures the module's selection code: it links the module's archive.
$(BUILD)/bench/dispatcher_bench: $(BUILD)/obj/test/bench/dispatcher_bench.o \
                                 $(BUILD)/lib/libosprey_mod_dispatcher.a $(SUPPORT_LIB) $(CORE_LIB) \
                                 $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(BENCH_LIBS)

# The htable benchmark links the module's archive, as the auth one does.
$(BUILD)/bench/htable_bench: $(BUILD)/obj/test/bench/htable_bench.o \
                             $(BUILD)/lib/libosprey_mod_htable.a $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(BENCH_LIBS)

# The pike benchmark measures the module's own table, linking its archive as auth_bench does.
$(BUILD)/bench/pike_bench: $(BUILD)/obj/test/bench/pike_bench.o $(BUILD)/lib/libosprey_mod_pike.a \
                           $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_CORE) $(BENCH_LIBS)

# The SIP load tool of the router benchmarks (test/bench/load/): standalone, it links nothing
# of Osprey, so it measures any router the same way.
LOAD_TOOL := $(BUILD)/bench/osprey-load
$(LOAD_TOOL): $(call obj,$(wildcard test/bench/load/*.cpp))
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^

# The flood benchmark's sender (test/bench/flood/): one socket, sendmmsg as fast as it can.
FLOOD_TOOL := $(BUILD)/bench/osprey-flood
$(FLOOD_TOOL): $(call obj,test/bench/flood/main.cpp)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^

# The TLS handshake load tool of `make bench-tls` (test/bench/tlsload/): OpenSSL only.
TLS_LOAD_TOOL := $(BUILD)/bench/osprey-tls-load
$(TLS_LOAD_TOOL): $(call obj,$(wildcard test/bench/tlsload/*.cpp))
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ -lssl -lcrypto

# Its unit tests (test/unit/load_*_test.cpp) link its objects but main.
$(BUILD)/test/unit/load_%: $(BUILD)/obj/test/unit/load_%.o \
                           $(call obj,$(filter-out test/bench/load/main.cpp,$(wildcard test/bench/load/*.cpp)))
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $^ $(GTEST_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/test/bench/%.o $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB) $(LIBS_CORE) $(BENCH_LIBS)

# Integration tests start the real binary and its modules (the process tests also testmod_idle).
$(INTEG_BIN): | $(OSPREY) $(MODULE_SO) $(TEST_MODULE_SO) $(OSPREYCTL)

# Script tests (test/scripts/*_test.sh) check the build and tooling themselves; run-tests.sh
# counts each as one test.
SCRIPT_TESTS := $(wildcard test/scripts/*_test.sh)

test: all
	@OSPREY_BUILD=$(BUILD) test/run-tests.sh $(UNIT_BIN) $(INTEG_BIN) $(SCRIPT_TESTS)

test-mem: $(MEM_UNIT_BIN)
	@OSPREY_BUILD=$(BUILD) test/run-tests.sh $(MEM_UNIT_BIN)

# The default configuration keeps registrations in data/osprey.sqlite (relative to the tree).
run: osprey modules
	@mkdir -p data
	$(OSPREY) -f etc/osprey.cfg -D -E

bench: bench-mem bench-shm-reclaim bench-parser bench-pv bench-ksr-call bench-auth bench-auth-db \
       bench-htable bench-dns bench-registrar-db bench-ir bench-rpc bench-natping bench-pike \
       bench-flood bench-dispatcher bench-tls bench-redis bench-redis-lookup bench-rtpengine

bench-mem: | $(DEPS_STAMP)
	@scripts/bench-mem.sh

bench-shm-reclaim: $(BUILD)/bench/shm_reclaim_bench
	@$(BUILD)/bench/shm_reclaim_bench

bench-parser: $(BUILD)/bench/parser_bench
	@$(BUILD)/bench/parser_bench

bench-pv: $(BUILD)/bench/pv_bench
	@$(BUILD)/bench/pv_bench

bench-ksr-call: $(BUILD)/bench/ksr_call_bench
	@$(BUILD)/bench/ksr_call_bench

bench-auth: $(BUILD)/bench/auth_bench
	@$(BUILD)/bench/auth_bench

bench-auth-db: $(BUILD)/bench/auth_db_bench
	@$(BUILD)/bench/auth_db_bench

# Dispatcher: ns and instructions (callgrind) per selection over 100 destinations, instructions
# per call through ds_select_dst + t_relay, then calls per second, both against Kamailio.
bench-dispatcher: $(BUILD)/bench/dispatcher_bench $(OSPREY) $(MODULE_SO) $(LOAD_TOOL)
	@$(BUILD)/bench/dispatcher_bench
	@BUILD=$(BUILD) scripts/bench/dispatcher-ir.sh
	@BUILD=$(BUILD) ONLY=dispatcher scripts/bench/ir-table.sh
	@BUILD=$(BUILD) scripts/bench/run-anchor-dispatcher.sh

bench-htable: $(BUILD)/bench/htable_bench
	@$(BUILD)/bench/htable_bench

bench-pike: $(BUILD)/bench/pike_bench
	@$(BUILD)/bench/pike_bench
	@BUILD=$(BUILD) scripts/bench/pike-ir.sh

bench-dns: $(BUILD)/bench/dns_bench
	@$(BUILD)/bench/dns_bench
	@BUILD=$(BUILD) scripts/bench/dns-hit-ir.sh

# Calls/s with media relay through rtpengine, Osprey against Kamailio 5.6 and its rtpengine
# module (same KEMI script, same rtpengine), and Osprey's own cost per offer/answer pair.
bench-rtpengine: $(OSPREY) $(MODULE_SO) $(BUILD)/bench/rtpengine_bench
	@$(BUILD)/bench/rtpengine_bench
	@BUILD=$(BUILD) scripts/bench/rtpengine-ir.sh
	@BUILD=$(BUILD) scripts/bench/run-rtpengine.sh

# The router benchmarks' tools (docs/benchmarks.md).
bench-tools: $(LOAD_TOOL) $(FLOOD_TOOL) $(TLS_LOAD_TOOL)
# The reload test drives osprey with the load tool.
$(BUILD)/test/integration/lua_reload_test: | $(LOAD_TOOL)

# Instructions per request under callgrind, Osprey and (when installed) Kamailio, five
# scenarios: scripts/bench/ir-table.sh.
bench-ir: $(OSPREY) $(MODULE_SO) $(LOAD_TOOL)
	@BUILD=$(BUILD) scripts/bench/ir-table.sh

# Starts the real osprey (scripts/bench/stateful.cfg with the control plane on) and drives
# SIP and RPC at once (docs/benchmarks.md, "RPC against SIP").
bench-rpc: $(OSPREY) $(MODULE_SO) $(LOAD_TOOL)
	@BUILD=$(BUILD) scripts/bench/rpc-disturb.sh

# Starts the real osprey with 100,000 pinged bindings and reads the natping process's CPU over
# one natping_interval (docs/benchmarks.md, "NAT keepalives").
bench-natping: $(OSPREY) $(MODULE_SO)
	@BUILD=$(BUILD) scripts/bench/natping.sh

# One UDP flooder against a legitimate client with retransmissions, Osprey (pike, early_drop)
# and Kamailio (pike + htable ban) running the same Lua script (docs/benchmarks.md, "Flood").
bench-flood: $(OSPREY) $(MODULE_SO) $(LOAD_TOOL) $(FLOOD_TOOL) $(OSPREYCTL)
	@BUILD=$(BUILD) scripts/bench/flood.sh

# TLS: full (ECDSA P-256, RSA-2048) and resumed handshakes per second, PSS per idle connection
# with 2000 held, kernel TLS, side by side with Kamailio and its tls module (scripts/bench/tls.sh,
# docs/tls.md).
bench-tls: $(OSPREY) $(MODULE_SO) $(TLS_LOAD_TOOL)
	@BUILD=$(BUILD) scripts/bench/tls.sh

# shm per transaction in tm's wait state (OPTIONS, INVITE calls) and how many fit in tm's
# default budget (scripts/bench/shm-tm.sh).
bench-tm-shm: $(OSPREY) $(MODULE_SO) $(LOAD_TOOL) $(OSPREYCTL)
	@BUILD=$(BUILD) scripts/bench/shm-tm.sh

# Starts the real osprey (scripts/bench/registrar.cfg) per usrloc db_mode and drives it.
bench-registrar-db: $(BUILD)/bench/registrar_db_bench $(OSPREY) $(MODULE_SO)
	@$(BUILD)/bench/registrar_db_bench

# REGISTER throughput with usrloc's store = "redis" (async and sync_write) against memory only,
# and the anchor: Kamailio 5.6 with usrloc on db_redis (scripts/bench/kamailio/
# registrar-redis-lua.cfg) against Kamailio in memory, under the same load.
bench-redis: $(BUILD)/bench/registrar_db_bench $(OSPREY) $(MODULE_SO)
	@MODES="$${MODES:-0 redis redis-sync kam kam-redis}" $(BUILD)/bench/registrar_db_bench

# Lookup -> relay through a second node for AORs registered on the first (store = "redis"),
# against one memory-only node (scripts/bench/redis-lookup.sh).
bench-redis-lookup: $(OSPREY) $(MODULE_SO) $(LOAD_TOOL)
	@BUILD=$(BUILD) scripts/bench/redis-lookup.sh

# --- fuzzing: libFuzzer needs clang, so core/sip/ is compiled again with coverage into
# $(BUILD)/fuzz; the pkg heap is malloc there (test/fuzz/fuzz_pkg.cpp) so ASan sees every chunk.
# A target that needs more than core/sip names its extra sources in FUZZ_EXTRA_<name> (and
# libraries in FUZZ_LIBS_<name>): only those, so the fuzz build stays small.
FUZZ_CXX   ?= clang++-14
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_FLAGS := -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -include test/fuzz/clang_compat.h
FUZZ_SRC   := $(wildcard test/fuzz/*_fuzz.cpp)
FUZZ_BIN   := $(patsubst test/fuzz/%.cpp,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_LINK  := $(patsubst %.cpp,$(FUZZ_DIR)/obj/%.o,$(SIP_SRC) test/fuzz/fuzz_pkg.cpp)

.PRECIOUS: $(FUZZ_DIR)/obj/%.o
$(FUZZ_DIR)/obj/%.o: CPPFLAGS += $(PATH_DEFS)
$(FUZZ_DIR)/obj/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

FUZZ_EXTRA_tcp_stream := core/net/tcp_input.cpp
FUZZ_EXTRA_digest     := $(addprefix modules/auth/,challenge.cpp credentials.cpp digest_hash.cpp \
                           nonce.cpp nonce_state.cpp response.cpp)
FUZZ_LIBS_digest      := -lcrypto
FUZZ_EXTRA_rpc_json   := core/rpc/value.cpp core/rpc/json_reader.cpp core/rpc/json_writer.cpp
FUZZ_EXTRA_rpc_binrpc := core/rpc/value.cpp core/rpc/binrpc_codec.cpp core/rpc/json_writer.cpp
FUZZ_EXTRA_rpc_session := $(addprefix core/rpc/,value.cpp json_reader.cpp json_writer.cpp \
                           binrpc_codec.cpp registry.cpp jsonrpc.cpp http_request.cpp http_get.cpp \
                           session.cpp)
FUZZ_EXTRA_sanity     := $(filter-out modules/sanity/sanity.cpp,$(wildcard modules/sanity/*.cpp))
FUZZ_EXTRA_dns_answer := core/dns/answer_ttl.cpp
FUZZ_EXTRA_bencode    := $(addprefix modules/rtpengine/,bencode.cpp ng_command.cpp ng_flags.cpp)
define fuzz_rule
$(FUZZ_DIR)/$(1)_fuzz: $(FUZZ_DIR)/obj/test/fuzz/$(1)_fuzz.o $(FUZZ_LINK) \
        $(patsubst %.cpp,$(FUZZ_DIR)/obj/%.o,$(FUZZ_EXTRA_$(1)))
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer -pthread -o $$@ $$^ $(FUZZ_LIBS_$(1))
endef
$(foreach t,$(patsubst test/fuzz/%_fuzz.cpp,%,$(FUZZ_SRC)),$(eval $(call fuzz_rule,$(t))))

fuzz: $(FUZZ_BIN)
	@FUZZ_DIR=$(FUZZ_DIR) scripts/fuzz.sh $(FUZZ_BIN)

clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
