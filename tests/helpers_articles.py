"""Planted articles shared by test modules: two exporters' articles, each naming one
country (Chile, Bolivia) that the bridge's lexicon does not know, so that a question naming
both countries can be checked to cite each article for its own country."""

CHILE = "a_chile_copper.txt"
BOLIVIA = "b_bolivia_lithium.txt"
EXPORTERS = {
    CHILE: (
        "تشيلي ترفع إنتاج النحاس\n\n"
        "أعلنت وزارة التعدين التشيلية، أمس الاثنين، خطة لزيادة إنتاج النحاس في المناجم الشمالية. "
        "وقال الخبير الاقتصادي خوان بيريز إن صادرات النحاس نمت بنسبة 12 في المئة هذا العام.\n"
    ),
    BOLIVIA: (
        "بوليفيا توسع استخراج الليثيوم\n\n"
        "أعلنت الحكومة البوليفية، أمس الثلاثاء، توسيع مشروع استخراج الليثيوم في صحراء الملح. "
        "وقالت الخبيرة الاقتصادية آنا موراليس إن صادرات الليثيوم نمت بنسبة 30 في المئة هذا العام.\n"
    ),
}
