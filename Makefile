# Osprey top-level build.
#   make                      build osprey, modules and tests (release, MEMMNG=fm)
#   make MEMMNG=fm|qm|tlsf    shared/private heap allocator (Kamailio spelling 0|1|2 too)
#   make MEMDBG=1             per-fragment debug records + leak report
#   make MODE=release|debug|asan
#   make test                 unit + integration tests, ends with "N passed, N failed"
#   make test-mem             allocator and lock tests only (CI runs it per allocator)
#   make run                  build and start osprey in the foreground with etc/osprey.cfg
#   make bench                all benchmarks (bench-mem, bench-parser, ...)
#   make bench-parser         SIP parser/builder: ns per message, MB/s, allocations
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

LIBS_CORE := -lconfig++ $(shell pkg-config --libs luajit 2>/dev/null || echo -lluajit-5.1) \
             -lssl -lcrypto -lsqlite3 -lunwind -ldl
CPPFLAGS  += $(shell pkg-config --cflags luajit 2>/dev/null)
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

DEPS_STAMP := build/.deps-ok

# Objects are kept (not deleted as intermediates), so relinking a test never recompiles it.
.SECONDARY:

.PHONY: all osprey modules tests test test-mem run bench bench-mem bench-parser clean deps fuzz format
all: osprey modules tests

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(dir $@) && touch $@

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

# Libraries a module needs itself (the binary keeps only the libraries it uses):
# MODULE_LIBS_<name>.
MODULE_LIBS_auth := -lcrypto
MODULE_LIBS_usrloc := -lsqlite3
define module_rule
$(BUILD)/modules/$(1)/$(1).so: $(patsubst %.cpp,$(BUILD)/pic/%.o,$(wildcard modules/$(1)/*.cpp))
	@mkdir -p $$(dir $$@)
	$(Q_LD)$(CXX) $(LDFLAGS) -shared -o $$@ $$^ $(MODULE_LIBS_$(1))
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
	$(Q_LD)$(CXX) $(LDFLAGS) -shared -o $$@ $$^
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

$(BUILD)/bench/%: $(BUILD)/obj/test/bench/%.o $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CXX) $(LDFLAGS) -o $@ $< $(SUPPORT_LIB) $(CORE_LIB) $(MEM_LIB) $(LIBS_CORE) $(BENCH_LIBS)

# Integration tests start the real binary and its modules (the process tests also testmod_idle).
$(INTEG_BIN): | $(OSPREY) $(MODULE_SO) $(TEST_MODULE_SO)

test: all
	@OSPREY_BUILD=$(BUILD) test/run-tests.sh $(UNIT_BIN) $(INTEG_BIN)

test-mem: $(MEM_UNIT_BIN)
	@OSPREY_BUILD=$(BUILD) test/run-tests.sh $(MEM_UNIT_BIN)

run: all
	$(OSPREY) -f etc/osprey.cfg -D -E

bench: bench-mem bench-parser

bench-mem: | $(DEPS_STAMP)
	@scripts/bench-mem.sh

bench-parser: $(BUILD)/bench/parser_bench
	@$(BUILD)/bench/parser_bench

# --- fuzzing: libFuzzer needs clang, so core/sip/ is compiled again with coverage into
# $(BUILD)/fuzz; the pkg heap is malloc there (test/fuzz/fuzz_pkg.cpp) so ASan sees every chunk.
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

$(FUZZ_DIR)/%_fuzz: $(FUZZ_DIR)/obj/test/fuzz/%_fuzz.o $(FUZZ_LINK)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer -pthread -o $@ $^

fuzz: $(FUZZ_BIN)
	@FUZZ_DIR=$(FUZZ_DIR) scripts/fuzz.sh $(FUZZ_BIN)

clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
