#!/bin/sh
# Turns xen/.config into include/generated/autoconf.h: CONFIG_X=y becomes
# "#define CONFIG_X 1", string and number values are kept as they are, so
# C code sees the same configuration the Makefile does (as Kconfig does).
echo "/* Generated from .config by tools/mkautoconf.sh; do not edit. */"
grep -E '^CONFIG_[A-Za-z0-9_]+=' "$1" | while IFS='=' read -r key value; do
  case "$value" in
    y) echo "#define $key 1" ;;
    n) ;;
    *) echo "#define $key $value" ;;
  esac
done
