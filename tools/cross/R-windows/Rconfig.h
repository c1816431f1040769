/* Rconfig.h as R for Windows (x86_64, Rtools 4.x) has it, for compiling the
   package's glue with the mingw-w64 cross compiler against this machine's R
   headers (`make cross-test`); put ahead of R's include directory. Differs
   from Linux's in what Windows lacks: no visibility attribute, no alloca.h. */
#ifndef R_RCONFIG_H
#define R_RCONFIG_H

#ifndef R_CONFIG_H

#define HAVE_F77_UNDERSCORE 1
#define IEEE_754 1
/* #undef WORDS_BIGENDIAN */
#define R_INLINE inline
/* #undef HAVE_VISIBILITY_ATTRIBUTE */
#define SUPPORT_UTF8 1
#define SUPPORT_MBCS 1
#define ENABLE_NLS 1
/* #undef HAVE_AQUA */
#ifdef USE_FC_LEN_T
#define FC_LEN_T size_t
#endif
#define SIZEOF_SIZE_T 8
/* #undef HAVE_ALLOCA_H */
#define HAVE_UINTPTR_T 1

#endif /* not R_CONFIG_H */

#endif /* not R_RCONFIG_H */
