// Written by tools/make_web.py from providers/catalog.py: edit that, then run the tool.
export const CATALOG = {
 "chat": {
  "cloudbase": [
   {
    "family": "generic",
    "id": "hy3-preview",
    "vision": false
   },
   {
    "family": "generic",
    "id": "glm-5v-turbo",
    "vision": true
   },
   {
    "family": "generic",
    "id": "qwen3.5-plus",
    "vision": true
   },
   {
    "family": "generic",
    "id": "kimi-k2.5",
    "vision": true
   }
  ],
  "opencomputing": [
   {
    "family": "generic",
    "id": "qwen3-max",
    "vision": false
   }
  ],
  "seacloud": [
   {
    "family": "generic",
    "id": "gpt-4.1",
    "vision": true
   },
   {
    "family": "generic",
    "id": "gpt-4.1-mini",
    "vision": true
   },
   {
    "family": "generic",
    "id": "gpt-4o-mini",
    "vision": true
   },
   {
    "family": "anthropic",
    "id": "claude-sonnet-4-5",
    "vision": true
   },
   {
    "family": "generic",
    "id": "gemini-2.5-flash",
    "vision": true
   },
   {
    "family": "generic",
    "id": "deepseek-v3.2",
    "vision": false
   }
  ]
 },
 "chat_protocols": {
  "cloudbase": [
   "chat_completions",
   "anthropic_messages",
   "responses"
  ],
  "opencomputing": [
   "chat_completions"
  ],
  "seacloud": [
   "chat_completions",
   "anthropic_messages",
   "responses"
  ]
 },
 "gptunnel_media": [
  {
   "id": "seedream-3",
   "kind": "image",
   "max_images": 1,
   "ratio_with_images": false,
   "ratios": [
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4"
   ]
  },
  {
   "id": "gpt-image-1-high",
   "kind": "image",
   "max_images": 10,
   "ratio_with_images": true,
   "ratios": [
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4"
   ]
  },
  {
   "id": "gpt-image-1-low",
   "kind": "image",
   "max_images": 10,
   "ratio_with_images": true,
   "ratios": [
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4"
   ]
  },
  {
   "id": "google-imagen-3",
   "kind": "image",
   "max_images": 0,
   "ratio_with_images": true,
   "ratios": [
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4",
    "21:9",
    "9:21"
   ]
  },
  {
   "id": "seedance-1-lite-480P-5s",
   "kind": "video",
   "max_images": 1,
   "ratio_with_images": true,
   "ratios": [
    "1:1",
    "16:9",
    "9:16"
   ]
  },
  {
   "id": "seedance-1-pro-1080P-5s",
   "kind": "video",
   "max_images": 1,
   "ratio_with_images": true,
   "ratios": [
    "1:1",
    "16:9",
    "9:16"
   ]
  },
  {
   "id": "glabs-veo-3-1-fast",
   "kind": "video",
   "max_images": 1,
   "ratio_with_images": true,
   "ratios": [
    "16:9",
    "9:16"
   ]
  },
  {
   "id": "glabs-veo-3",
   "kind": "video",
   "max_images": 1,
   "ratio_with_images": true,
   "ratios": [
    "16:9",
    "9:16"
   ]
  }
 ],
 "llm_nodes": [
  "CloudBaseLLM",
  "OpenComputingLLM",
  "SeaCloudLLM"
 ],
 "media_nodes": {
  "GPTunnelMediaSubmit": "gptunnel_media"
 },
 "nodes": [
  "CloudBaseLLM",
  "GPTunnelMediaSubmit",
  "GPTunnelSeedream3Submit",
  "GPTunnelSeedream4",
  "GatewayAwaitImages",
  "GatewayAwaitVideo",
  "GatewayJoinVideos",
  "GatewayShotsFromText",
  "GatewayShotsPrompt",
  "GatewayTaskFromId",
  "OpenComputingImageToVideo",
  "OpenComputingLLM",
  "OpenComputingReferenceToVideo",
  "OpenComputingTextToVideo",
  "SeaCloudLLM",
  "SeaCloudSubmit"
 ],
 "paid_nodes": [
  "CloudBaseLLM",
  "GPTunnelMediaSubmit",
  "GPTunnelSeedream3Submit",
  "GPTunnelSeedream4",
  "OpenComputingImageToVideo",
  "OpenComputingLLM",
  "OpenComputingReferenceToVideo",
  "OpenComputingTextToVideo",
  "SeaCloudLLM",
  "SeaCloudSubmit"
 ],
 "protocols": {
  "anthropic_messages": {
   "temperature_max": 1.0
  },
  "chat_completions": {
   "temperature_max": 2.0
  },
  "responses": {
   "temperature_max": 2.0
  }
 },
 "queue": [
  {
   "id": "nano_banana_2",
   "image_field": "image_urls",
   "kind": "image",
   "max_images": 10,
   "requires_image": false
  },
  {
   "id": "seedance_2_0",
   "image_field": "image_url",
   "kind": "video",
   "max_images": 1,
   "requires_image": false
  },
  {
   "id": "wan26_i2v",
   "image_field": "img_url",
   "kind": "video",
   "max_images": 1,
   "requires_image": true
  }
 ],
 "sampling": {
  "anthropic": {
   "either": [
    "top_p",
    1.0,
    "temperature"
   ],
   "sent": [
    "temperature",
    "top_p"
   ]
  },
  "generic": {
   "either": null,
   "sent": [
    "temperature",
    "top_p",
    "seed"
   ]
  }
 },
 "seedream": {
  "seedream3_ratios": [
   "1:1",
   "16:9",
   "9:16",
   "4:3",
   "3:4"
  ],
  "seedream4_ratios": [
   "1:1",
   "16:9",
   "9:16",
   "4:3",
   "3:4",
   "21:9",
   "9:21"
  ],
  "seedream4_sizes": [
   "1K",
   "2K",
   "3K",
   "4K"
  ]
 },
 "task_gateways": [
  "seacloud",
  "gptunnel",
  "opencomputing"
 ],
 "video": {
  "i2v": [
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "UeYax4591ytnPcr9eumry",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "doubao-seedance-2-0-260128",
    "name": "Seedance 2.0 (Doubao)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 120.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "UeYax4591ytnPcr9eumry",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "doubao-seedance-2-0-fast-260128",
    "name": "Seedance 2.0 fast (Doubao)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "tb0VSY6WeyGbzaolU1_qE",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "dreamina-seedance-2-0-260128",
    "name": "Seedance 2.0 (WeToken)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 120.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "tb0VSY6WeyGbzaolU1_qE",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "dreamina-seedance-2-0-fast-260128",
    "name": "Seedance 2.0 fast (WeToken)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": false,
    "duration": 12,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "doubao-seedance-1-5-pro-251215",
    "llmid": "7RTOJD6K8A7RXCMG4GnQ9",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": null,
    "name": "Seedance 1.5 pro",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": null,
    "ratio_fields": [
     "radio",
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "keep_ratio",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "9:21",
     "21:9"
    ],
    "resolution": "1080p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": false,
    "duration": 10,
    "durations": [
     1,
     2,
     3,
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15,
     16
    ],
    "estimate": 240.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "viduq3-pro",
    "llmid": "FK_h7FLYnosv2TkMN4ATC",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "viduq3-pro",
    "name": "Vidu q3 pro",
    "negative_prompt": false,
    "off_peak": true,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio",
     "off_peak"
    ],
    "ratio": "16:9",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "9:16",
     "4:3",
     "3:4",
     "1:1"
    ],
    "resolution": "1080p",
    "resolutions": [
     "540p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": false,
    "duration": 10,
    "durations": [
     1,
     2,
     3,
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15,
     16
    ],
    "estimate": 240.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "viduq3-pro",
    "llmid": "FK_h7FLYnosv2TkMN4ATC",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "viduq2-turbo",
    "name": "Vidu q2 turbo",
    "negative_prompt": false,
    "off_peak": true,
    "operation": "i2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio",
     "off_peak"
    ],
    "ratio": "16:9",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "9:16",
     "4:3",
     "3:4",
     "1:1"
    ],
    "resolution": "1080p",
    "resolutions": [
     "540p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": false,
    "duration": 15,
    "durations": [
     5,
     10,
     15
    ],
    "estimate": 240.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "wan2.6-r2v",
    "llmid": "x4HksKp9mXR1Yv60mw6Py",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": null,
    "name": "Wan 2.6 r2v",
    "negative_prompt": true,
    "off_peak": false,
    "operation": "i2v",
    "parameters": [
     "duration",
     "size",
     "negative_prompt"
    ],
    "ratio": null,
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [],
    "resolution": null,
    "resolutions": [],
    "size": "1920*1080",
    "sizes": [
     "832*480",
     "480*832",
     "624*624",
     "1280*720",
     "720*1280",
     "960*960",
     "1088*832",
     "832*1088",
     "1920*1080",
     "1080*1920",
     "1440*1440",
     "1632*1248",
     "1248*1632"
    ]
   }
  ],
  "r2v": [
   {
    "audio": true,
    "duration": 12,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "dmPXF65TD1riKj9KaxLmg",
    "max_audios": 3,
    "max_images": 9,
    "max_reference_seconds": 15.0,
    "max_videos": 3,
    "model": "doubao-seedance-2-0-260128",
    "name": "Seedance 2.0 (Doubao)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "r2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": null,
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "9:21",
     "21:9"
    ],
    "resolution": "1080p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 12,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 120.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "dmPXF65TD1riKj9KaxLmg",
    "max_audios": 3,
    "max_images": 9,
    "max_reference_seconds": 15.0,
    "max_videos": 3,
    "model": "doubao-seedance-2-0-fast-260128",
    "name": "Seedance 2.0 fast (Doubao)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "r2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": null,
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "9:21",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 12,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "nVbH7lEO51soqTbLGIHE_",
    "max_audios": 3,
    "max_images": 9,
    "max_reference_seconds": 15.0,
    "max_videos": 3,
    "model": "dreamina-seedance-2-0-260128",
    "name": "Seedance 2.0 (WeToken)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "r2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": null,
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "9:21",
     "21:9"
    ],
    "resolution": "1080p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 12,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 120.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "nVbH7lEO51soqTbLGIHE_",
    "max_audios": 3,
    "max_images": 9,
    "max_reference_seconds": 15.0,
    "max_videos": 3,
    "model": "dreamina-seedance-2-0-fast-260128",
    "name": "Seedance 2.0 fast (WeToken)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "r2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": null,
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "9:21",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p"
    ],
    "size": null,
    "sizes": []
   }
  ],
  "t2v": [
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "YjjGgxO_Xma8PWsMjJvps",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "doubao-seedance-2-0-260128",
    "name": "Seedance 2.0 (Doubao)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "t2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 120.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "YjjGgxO_Xma8PWsMjJvps",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "doubao-seedance-2-0-fast-260128",
    "name": "Seedance 2.0 fast (Doubao)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "t2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "TWay-xd0p0pkEX-_Kuhto",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "dreamina-seedance-2-0-260128",
    "name": "Seedance 2.0 (WeToken)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "t2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": true,
    "duration": 5,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15
    ],
    "estimate": 120.0,
    "frame_fields": [
     "image1_file",
     "image2_file"
    ],
    "generic": false,
    "listed": null,
    "llmid": "TWay-xd0p0pkEX-_Kuhto",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": "dreamina-seedance-2-0-fast-260128",
    "name": "Seedance 2.0 fast (WeToken)",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "t2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": "adaptive",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "21:9"
    ],
    "resolution": "720p",
    "resolutions": [
     "480p",
     "720p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": false,
    "duration": 12,
    "durations": [
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12
    ],
    "estimate": 180.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "doubao-seedance-1-5-pro-251215",
    "llmid": "CrEMkFQfRCmbmopZsCqLj",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": null,
    "name": "Seedance 1.5 pro",
    "negative_prompt": false,
    "off_peak": false,
    "operation": "t2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio"
    ],
    "ratio": null,
    "ratio_fields": [
     "radio",
     "ratio"
    ],
    "ratios": [
     "adaptive",
     "keep_ratio",
     "16:9",
     "4:3",
     "1:1",
     "3:4",
     "9:16",
     "9:21",
     "21:9"
    ],
    "resolution": "1080p",
    "resolutions": [
     "480p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   },
   {
    "audio": false,
    "duration": 15,
    "durations": [
     5,
     10,
     15
    ],
    "estimate": 240.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "wan2.6-t2v",
    "llmid": "u9HZyfDoqU6uKI6M1BTks",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": null,
    "name": "Wan 2.6 t2v",
    "negative_prompt": true,
    "off_peak": false,
    "operation": "t2v",
    "parameters": [
     "duration",
     "size",
     "negative_prompt"
    ],
    "ratio": null,
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [],
    "resolution": null,
    "resolutions": [],
    "size": "1920*1080",
    "sizes": [
     "832*480",
     "480*832",
     "624*624",
     "1280*720",
     "720*1280",
     "960*960",
     "1088*832",
     "832*1088",
     "1920*1080",
     "1080*1920",
     "1440*1440",
     "1632*1248",
     "1248*1632"
    ]
   },
   {
    "audio": false,
    "duration": 10,
    "durations": [
     1,
     2,
     3,
     4,
     5,
     6,
     7,
     8,
     9,
     10,
     11,
     12,
     13,
     14,
     15,
     16
    ],
    "estimate": 240.0,
    "frame_fields": [
     "image_file1",
     "image_file2"
    ],
    "generic": false,
    "listed": "viduq3-pro",
    "llmid": "r0ill7L0s6PtBS8mkmg-7",
    "max_audios": 0,
    "max_images": 0,
    "max_reference_seconds": 15.0,
    "max_videos": 0,
    "model": null,
    "name": "Vidu q3 pro",
    "negative_prompt": false,
    "off_peak": true,
    "operation": "t2v",
    "parameters": [
     "duration",
     "resolution",
     "ratio",
     "off_peak"
    ],
    "ratio": "16:9",
    "ratio_fields": [
     "ratio"
    ],
    "ratios": [
     "16:9",
     "9:16",
     "4:3",
     "3:4",
     "1:1"
    ],
    "resolution": "1080p",
    "resolutions": [
     "540p",
     "720p",
     "1080p"
    ],
    "size": null,
    "sizes": []
   }
  ]
 },
 "video_nodes": {
  "OpenComputingImageToVideo": "i2v",
  "OpenComputingReferenceToVideo": "r2v",
  "OpenComputingTextToVideo": "t2v"
 },
 "video_parameters": [
  "duration",
  "resolution",
  "ratio",
  "size",
  "negative_prompt",
  "off_peak"
 ]
};
