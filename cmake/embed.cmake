# Turns the file IN into a C source OUT defining `const char SYM[]` and
# `const unsigned long SYM_len`.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN}; do not edit. */\n"
     "const char ${SYM}[] = {${body}0x00};\n"
     "const unsigned long ${SYM}_len = ${len};\n")
