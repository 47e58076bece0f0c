#pragma once
// The stb single-file libraries (image decode, encode, resize), compiled into
// every translation unit that includes this header with internal linkage
// (STB*_STATIC), so the header-only framework needs no separate .cpp and two
// translation units never clash. Include this header, never <stb_image*.h>
// directly, so every distdiff header agrees on the configuration.
#ifndef STB_IMAGE_STATIC
#define STB_IMAGE_STATIC
#endif
#ifndef STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_IMPLEMENTATION
#endif
#ifndef STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_STATIC
#endif
#ifndef STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#endif
#ifndef STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_STATIC
#endif
#ifndef STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#endif
// Only the formats distdiff reads.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_FAILURE_USERMSG

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
